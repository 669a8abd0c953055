package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// disasterDay plays the disaster on the running demo: prod (and the controller, which runs there)
// stops for good, `dr-syncer cutover` brings dr live from dr alone, and dr serves the app.
func (d *demo) disasterDay(ctx context.Context) {
	s := d.steps
	s.say("Disaster day: prod goes down ...")
	if err := s.run("prod is down", func() (string, error) {
		// The controller runs in prod: it goes down with it. Stopped first, its watches do not
		// hold prod's API server in a graceful shutdown.
		err := errors.Join(d.ctrl.stop(), d.planes[0].Stop())
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		d.prodDown = time.Now()
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("the controller and prod's API server, etcd, controllers and nodes stopped at %s", d.prodDown.Format(time.TimeOnly)), nil
	}); err != nil {
		return
	}

	args := []string{"cutover",
		"--source-kubeconfig", filepath.Join(d.dir, "prod.kubeconfig"),
		"--dest-kubeconfig", filepath.Join(d.dir, "dr.kubeconfig"),
		"--source-namespace", appNamespace}
	s.say("$ dr-syncer %s", strings.Join(args, " "))
	if err := s.run("cutover to dr", func() (string, error) {
		if d.o.Cutover == nil {
			return "", errors.New("no cutover command given to the demo")
		}
		var out bytes.Buffer
		err := d.o.Cutover(ctx, &out, args...)
		s.say("%s", indent(out.String()))
		if err != nil {
			return "", err
		}
		// The readiness line and the summary line, wherever the command prints them.
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var ready, summary string
		for _, l := range lines {
			switch l = strings.TrimSpace(l); {
			case strings.HasPrefix(l, "DR ready in"):
				ready = l
			case strings.HasPrefix(l, "cutover done"):
				summary = l
			}
		}
		switch {
		case ready != "" && summary != "":
			return ready + " (" + summary + ")", nil
		case ready != "":
			return ready, nil
		case summary != "":
			return summary, nil
		}
		return lines[len(lines)-1], nil
	}); err != nil {
		return
	}

	_ = s.run(fmt.Sprintf("dr serves the app: Deployment %s/%s has %d ready replicas", appNamespace, appDeployment, appReplicas), func() (string, error) {
		c, err := appReady(ctx, d.drKube)
		if err != nil {
			return "", err
		}
		var endpoints int
		err = eventually(ctx, stepTimeout, func(ctx context.Context) error {
			endpoints, err = readyEndpoints(ctx, d)
			if err == nil && endpoints < appReplicas {
				err = fmt.Errorf("Service %s/%s has %d ready endpoints, want %d", appNamespace, appService, endpoints, appReplicas)
			}
			return err
		})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("namespace %s in dr: %s; Service %s has %d ready endpoints; %s after prod went down",
			appNamespace, c, appService, endpoints, time.Since(d.prodDown).Round(100*time.Millisecond)), nil
	})
}

// readyEndpoints counts the ready endpoints of the app's Service in dr, from its EndpointSlices.
func readyEndpoints(ctx context.Context, d *demo) (int, error) {
	l, err := d.drKube.DiscoveryV1().EndpointSlices(appNamespace).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + appService,
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sl := range l.Items {
		for _, ep := range sl.Endpoints {
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				n++
			}
		}
	}
	return n, nil
}

// indent prefixes every line of s with two spaces.
func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
