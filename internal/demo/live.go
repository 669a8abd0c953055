package demo

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// live shows the mapping and the remote cluster in a small table redrawn every Refresh and
// changes the ConfigMap in prod every ChangeEvery, until ctx ends.
func (d *demo) live(ctx context.Context) {
	k := d.kubectl()
	if !d.prodDown.IsZero() {
		d.steps.say(`
The demo runs until you press Ctrl-C. prod is gone; dr serves the app. In another terminal:
  export KUBECONFIG=%[2]s     # context dr (prod's does not answer)
  %[1]s --context dr -n %[3]s get deploy,pods,endpointslices
`, k, filepath.Join(d.dir, mergedKubeconfig), appNamespace)
	} else {
		d.steps.say(`
The demo runs until you press Ctrl-C. Meanwhile, in another terminal:
  export KUBECONFIG=%[2]s     # contexts prod and dr
  %[1]s --context prod get nsmap,rcl -A
  %[1]s --context dr -n %[3]s get deploy,cronjob,svc,ingress,cm,secret
  %[1]s --context prod -n %[3]s edit configmap %[4]s     # and see it reach dr
  dr-syncer status --context prod     # and the disaster day of docs/cli.md, step by step
Every %[5]s the demo changes ConfigMap %[3]s/%[4]s in prod and measures when dr has it.
`, k, filepath.Join(d.dir, mergedKubeconfig), appNamespace, appConfigMap, d.o.ChangeEvery)
	}

	var (
		mu   sync.Mutex
		last changeOutcome
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(d.o.ChangeEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if !d.prodDown.IsZero() {
				return // nothing changes in prod any more
			}
			p, err := d.change(ctx)
			if ctx.Err() != nil {
				return
			}
			mu.Lock()
			last = changeOutcome{p: p, err: err, count: last.count + 1}
			mu.Unlock()
		}
	}()
	defer wg.Wait()

	tick := time.NewTicker(d.o.Refresh)
	defer tick.Stop()
	drawn, shown := 0, ""
	for {
		v := d.snapshot(ctx)
		mu.Lock()
		v.change = last
		mu.Unlock()
		if d.o.TTY {
			if drawn > 0 {
				fmt.Fprintf(d.o.Out, "\x1b[%dA\x1b[J", drawn) // back to the table's first line, clear below
			}
			lines := v.lines(time.Now())
			fmt.Fprintln(d.o.Out, strings.Join(lines, "\n"))
			drawn = len(lines)
		} else if key := strings.Join(v.lines(time.Time{}), "\n"); key != shown {
			fmt.Fprintln(d.o.Out, strings.Join(v.lines(time.Now()), "\n")+"\n")
			shown = key
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(d.o.Out)
			return
		case <-tick.C:
		}
	}
}

// changeOutcome is the last change the live demo made.
type changeOutcome struct {
	p     propagation
	err   error
	count int
}

// view is what the live table shows.
type view struct {
	mapping *drv1.NamespaceMapping
	rc      *drv1.RemoteCluster
	err     error
	change  changeOutcome
	// prodDown is when the disaster day stopped prod; zero while it runs.
	prodDown time.Time
	// pods is what runs in the app's namespace per cluster ("prod", "dr"); podsErr why not known.
	pods    map[string]podCount
	podsErr map[string]error
}

func (d *demo) snapshot(ctx context.Context) view {
	v := view{mapping: &drv1.NamespaceMapping{}, rc: &drv1.RemoteCluster{}, prodDown: d.prodDown,
		pods: map[string]podCount{}, podsErr: map[string]error{}}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if v.prodDown.IsZero() {
		if err := d.prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNamespace, Name: mappingName}, v.mapping); err != nil {
			v.err = err
		}
		if err := d.prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNamespace, Name: remoteClusterName}, v.rc); err != nil {
			v.err = err
		}
		v.pods["prod"], v.podsErr["prod"] = countPods(ctx, d.prodKube, appNamespace)
	}
	v.pods["dr"], v.podsErr["dr"] = countPods(ctx, d.drKube, appNamespace)
	return v
}

// lines renders the table; a zero now leaves out every age, so that two renderings compare equal
// when nothing but time has passed.
func (v view) lines(now time.Time) []string {
	if !v.prodDown.IsZero() {
		return append([]string{fmt.Sprintf("prod is down since %s (disaster day); dr is live. The mapping's status was in prod.",
			v.prodDown.Format(time.TimeOnly)), ""}, v.podLines()...)
	}
	if v.err != nil {
		return []string{"reading status from prod: " + v.err.Error()}
	}
	m := v.mapping
	st := m.Status.LastSyncStats
	if st == nil {
		st = &drv1.SyncStats{}
	}
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACEMAPPING\tMODE\tPHASE\tREADY\tLAST SYNC\tLAST EVENT\tOBJECTS\tCREATED\tUPDATED\tUNCHANGED\tFAILED")
	fmt.Fprintf(tw, "%s/%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", m.Namespace, m.Name, m.Spec.ReplicationMode, m.Status.Phase,
		readyStatus(m.Status.Conditions), age(m.Status.LastSyncTime, now), age(m.Status.LastEventTime, now),
		st.Total, st.Created, st.Updated, st.Unchanged, st.Failed)
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "REMOTECLUSTER\tREADY\tVERSION\tLAST PROBE")
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.rc.Name, readyStatus(v.rc.Status.Conditions), v.rc.Status.ServerVersion, age(v.rc.Status.LastProbeTime, now))
	_ = tw.Flush()
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	lines = append(append(lines, ""), v.podLines()...)
	if c := meta.FindStatusCondition(m.Status.Conditions, drv1.ConditionReady); c != nil && c.Status != metav1.ConditionTrue {
		lines = append(lines, "", "mapping not ready: "+c.Message)
	}
	switch c := v.change; {
	case c.count == 0:
		lines = append(lines, "", "demo changes: none yet")
	case c.err != nil:
		lines = append(lines, "", fmt.Sprintf("demo change #%d failed: %v", c.count, c.err))
	default:
		line := fmt.Sprintf("demo change #%d: %s", c.count, c.p)
		if !now.IsZero() {
			line += fmt.Sprintf(" (%s ago)", now.Sub(c.p.at).Round(time.Second))
		}
		lines = append(lines, "", line)
	}
	return lines
}

// podLines is the table of what runs in the app's namespace in each cluster.
func (v view) podLines() []string {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tNAMESPACE\tPODS\tREADY")
	for _, c := range []string{"prod", "dr"} {
		switch err := v.podsErr[c]; {
		case c == "prod" && !v.prodDown.IsZero():
			fmt.Fprintf(tw, "%s\t%s\tdown\t-\n", c, appNamespace)
		case err != nil:
			fmt.Fprintf(tw, "%s\t%s\t?\t%v\n", c, appNamespace, err)
		default:
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", c, appNamespace, v.pods[c].total, v.pods[c].ready)
		}
	}
	_ = tw.Flush()
	return strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
}

func readyStatus(conds []metav1.Condition) string {
	if c := meta.FindStatusCondition(conds, drv1.ConditionReady); c != nil {
		return string(c.Status)
	}
	return "-"
}

// age says how long ago t was; "-" for never, "" when now is zero.
func age(t *metav1.Time, now time.Time) string {
	switch {
	case t == nil:
		return "-"
	case now.IsZero():
		return ""
	}
	return now.Sub(t.Time).Round(time.Second).String() + " ago"
}
