// Package demo runs dr-syncer end to end on two local control planes, "prod" and "dr", with the
// controller in-process: the `dr-syncer demo` command, live in a terminal or as a self-check.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/controller"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// Options configure a demo run.
type Options struct {
	// AssetsDir holds kube-apiserver and etcd (see DefaultAssetsDir and CheckAssets).
	AssetsDir string
	// Check runs the story once, verifies every step and returns; otherwise the demo stays up,
	// showing the mapping live, until ctx ends.
	Check bool
	// Out receives the story and the live table.
	Out io.Writer
	// TTY redraws the live table in place; without it a table is printed whenever it changes.
	TTY bool
	// Refresh is how often the live table is redrawn (default 1s).
	Refresh time.Duration
	// ChangeEvery is how often the live demo changes the ConfigMap in prod (default 10s).
	ChangeEvery time.Duration
	// DisasterDay plays the disaster after the standby checks: prod stops, `dr-syncer cutover`
	// brings dr live, and the demo shows dr serving the app.
	DisasterDay bool
	// Cutover runs the dr-syncer command line args, writing what it prints to out: the CLI's own
	// command, handed in by the caller (the cli package imports this one).
	Cutover func(ctx context.Context, out io.Writer, args ...string) error
}

const (
	controllerNamespace = "dr-syncer-system"
	remoteClusterName   = "dr"
	kubeconfigSecret    = "dr-kubeconfig"
	mappingName         = "shop"
	// stepTimeout bounds every wait of the story.
	stepTimeout = 30 * time.Second
	// demoNodes is the number of fake nodes (kwok) each cluster has.
	demoNodes = 2
)

// demo is one run: the control planes, the controller and what the story has learnt so far.
type demo struct {
	o     Options
	steps *steps
	// dir holds the kubeconfigs and the controller log; removed at the end.
	dir      string
	planes   []*testbed.Cluster
	prod     *cluster.Handle
	dr       *cluster.Handle
	drKube   kubernetes.Interface
	prodKube kubernetes.Interface
	// prodDown is when the disaster day stopped prod; zero while prod runs.
	prodDown time.Time
	logFile  *os.File
	ctrl     *background
	// metricsAddr and probeAddr are the controller's endpoints.
	metricsAddr, probeAddr string
	// revision is the last value the demo wrote to the ConfigMap's revision key.
	revision int
}

// Run runs the demo until the story is verified (Check) or ctx ends, then stops the controller
// and both control planes and removes every file it wrote. With Check, the error says how many
// steps failed.
func Run(ctx context.Context, o Options) (err error) {
	if o.Refresh <= 0 {
		o.Refresh = time.Second
	}
	if o.ChangeEvery <= 0 {
		o.ChangeEvery = 10 * time.Second
	}
	d := &demo{o: o, steps: &steps{w: o.Out}, revision: 1}
	defer func() { err = errors.Join(err, d.tearDown()) }()
	if err := d.setUp(ctx); err != nil {
		return err
	}
	d.verify(ctx)
	if o.DisasterDay && ctx.Err() == nil {
		d.disasterDay(ctx)
	}
	if o.Check {
		return d.steps.result()
	}
	if ctx.Err() == nil {
		d.live(ctx)
	}
	return d.steps.result()
}

// setUp starts the control planes and the controller and creates the RemoteCluster, the sample
// application and its NamespaceMapping. Any failure ends the demo.
func (d *demo) setUp(ctx context.Context) error {
	var err error
	if d.dir, err = os.MkdirTemp("", "dr-syncer-demo-"); err != nil {
		return err
	}
	s := d.steps
	s.say("Starting two local clusters, prod and dr (kube-apiserver, etcd, kube-controller-manager, kube-scheduler and kwok with %d fake nodes each, from %s) ...", demoNodes, d.o.AssetsDir)
	for _, step := range []struct {
		title string
		run   func(context.Context) (string, error)
	}{
		{"clusters prod and dr running", d.startPlanes},
		{"kubeconfigs written to " + d.dir, d.writeKubeconfigs},
		{"controller running in this process against prod", d.startController},
		{fmt.Sprintf("RemoteCluster %s/%s Ready", controllerNamespace, remoteClusterName), d.createRemoteCluster},
		{fmt.Sprintf("sample application created in prod namespace %s", appNamespace), d.createApp},
		{fmt.Sprintf("Continuous NamespaceMapping %s/%s synced", controllerNamespace, mappingName), d.createMapping},
	} {
		if err := s.run(step.title, func() (string, error) { return step.run(ctx) }); err != nil {
			return fmt.Errorf("demo set-up: %s: %w", step.title, err)
		}
	}
	return nil
}

func (d *demo) startPlanes(context.Context) (string, error) {
	start := time.Now()
	// Both run workloads: the app runs in prod, and dr shows that its parked copy runs nothing
	// until a cutover.
	planes, err := testbed.Start(testbed.Options{AssetsDir: d.o.AssetsDir, Runnables: map[string]testbed.Runnables{
		"prod": testbed.AllRunnables(demoNodes), "dr": testbed.AllRunnables(demoNodes),
	}}, "prod", "dr")
	if err != nil {
		return "", err
	}
	d.planes = planes
	if d.prod, err = cluster.New("prod", planes[0].Config); err != nil {
		return "", err
	}
	if d.dr, err = cluster.New("dr", planes[1].Config); err != nil {
		return "", err
	}
	if d.drKube, err = kubernetes.NewForConfig(planes[1].Config); err != nil {
		return "", err
	}
	if d.prodKube, err = kubernetes.NewForConfig(planes[0].Config); err != nil {
		return "", err
	}
	v, err := d.prod.Discovery.ServerVersion()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Kubernetes %s with the dr-syncer CRDs, controllers and %d nodes each, started in %s", v.GitVersion, demoNodes, time.Since(start).Round(100*time.Millisecond)), nil
}

func (d *demo) writeKubeconfigs(context.Context) (string, error) {
	if err := writeKubeconfigs(d.dir, d.planes); err != nil {
		return "", err
	}
	return "prod.kubeconfig, dr.kubeconfig and " + mergedKubeconfig + " (contexts prod and dr)", nil
}

// startController runs the controller against prod, logging to a file so the terminal stays
// readable, and waits until it is ready.
func (d *demo) startController(ctx context.Context) (string, error) {
	var err error
	logPath := filepath.Join(d.dir, "controller.log")
	if d.logFile, err = os.Create(logPath); err != nil {
		return "", err
	}
	log := zap.New(zap.WriteTo(d.logFile))
	ctrl.SetLogger(log)
	klog.SetLogger(log)
	if d.metricsAddr, err = freeAddr(); err != nil {
		return "", err
	}
	if d.probeAddr, err = freeAddr(); err != nil {
		return "", err
	}
	mgr, err := controller.NewManager(d.prod.Config, controller.Options{
		Namespace: controllerNamespace, MetricsBindAddress: d.metricsAddr, HealthProbeBindAddress: d.probeAddr, ApplyWorkers: 8,
	})
	if err != nil {
		return "", err
	}
	d.ctrl = startBackground(mgr.Start)
	err = eventually(ctx, stepTimeout, func(ctx context.Context) error {
		select {
		case <-d.ctrl.done:
			return fmt.Errorf("controller stopped: %v", d.ctrl.err)
		default:
		}
		_, err := httpGet(ctx, "http://"+d.probeAddr+"/readyz")
		return err
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("metrics http://%s/metrics, probes http://%s/readyz, log %s", d.metricsAddr, d.probeAddr, logPath), nil
}

func (d *demo) createRemoteCluster(ctx context.Context) (string, error) {
	c := d.prod.Client
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controllerNamespace}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: controllerNamespace, Name: kubeconfigSecret},
			Data: map[string][]byte{"kubeconfig": d.planes[1].Kubeconfig}},
		&drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Namespace: controllerNamespace, Name: remoteClusterName},
			Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: kubeconfigSecret}}},
	} {
		if err := c.Create(ctx, o); err != nil {
			return "", err
		}
	}
	rc := &drv1.RemoteCluster{}
	err := eventually(ctx, stepTimeout, func(ctx context.Context) error {
		if err := c.Get(ctx, client.ObjectKey{Namespace: controllerNamespace, Name: remoteClusterName}, rc); err != nil {
			return err
		}
		if cond := meta.FindStatusCondition(rc.Status.Conditions, drv1.ConditionReady); cond == nil || cond.Status != metav1.ConditionTrue {
			return fmt.Errorf("not Ready: %s", conditionText(cond))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("reaches dr (Kubernetes %s) with the kubeconfig in Secret %s", rc.Status.ServerVersion, kubeconfigSecret), nil
}

func (d *demo) createApp(ctx context.Context) (string, error) {
	objs := append([]client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: appNamespace}}}, sampleApp(appNamespace)...)
	for _, o := range objs {
		if err := d.prod.Client.Create(ctx, o); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%s; Deployment %s runs %d replicas", appKinds, appDeployment, appReplicas), nil
}

func (d *demo) createMapping(ctx context.Context) (string, error) {
	m := &drv1.NamespaceMapping{
		ObjectMeta: metav1.ObjectMeta{Namespace: controllerNamespace, Name: mappingName},
		Spec: drv1.NamespaceMappingSpec{
			DestinationCluster: remoteClusterName, SourceNamespace: appNamespace, ReplicationMode: drv1.ModeContinuous,
		},
	}
	if err := d.prod.Client.Create(ctx, m); err != nil {
		return "", err
	}
	err := eventually(ctx, stepTimeout, func(ctx context.Context) error {
		if err := d.prod.Client.Get(ctx, client.ObjectKeyFromObject(m), m); err != nil {
			return err
		}
		if m.Status.Phase != drv1.PhaseSynced || m.Status.LastSyncStats == nil {
			return fmt.Errorf("phase %q: %s", m.Status.Phase, conditionText(meta.FindStatusCondition(m.Status.Conditions, drv1.ConditionReady)))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	st := m.Status.LastSyncStats
	took := ""
	if m.Status.LastSyncDuration != nil {
		took = " in " + m.Status.LastSyncDuration.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("first full sync: %d objects, %d created%s; now watching prod for changes", st.Total, st.Created, took), nil
}

// tearDown stops the controller and the control planes and removes the demo's files; it is a
// step of its own, so --check verifies it too.
func (d *demo) tearDown() error {
	if d.dir == "" {
		return nil
	}
	d.steps.say("Stopping ...")
	return d.steps.run("stopped the controller and both clusters, removed "+d.dir, func() (string, error) {
		var errs []error
		if d.ctrl != nil {
			errs = append(errs, d.ctrl.stop())
		}
		errs = append(errs, testbed.StopAll(d.planes))
		if d.logFile != nil {
			errs = append(errs, d.logFile.Close())
		}
		errs = append(errs, os.RemoveAll(d.dir))
		return "", errors.Join(errs...)
	})
}

// kubectl returns how to call kubectl: from PATH, else the one beside kube-apiserver.
func (d *demo) kubectl() string {
	if _, err := exec.LookPath("kubectl"); err == nil {
		return "kubectl"
	}
	if p := filepath.Join(d.o.AssetsDir, "kubectl"); fileExists(p) {
		return p
	}
	return "kubectl"
}

// background is a function running in its own goroutine until stopped.
type background struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func startBackground(run func(context.Context) error) *background {
	ctx, cancel := context.WithCancel(context.Background())
	b := &background{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		b.err = run(ctx)
	}()
	return b
}

// stop cancels the function and waits for it to return.
func (b *background) stop() error {
	b.cancel()
	<-b.done
	return b.err
}

// eventually calls check every 100ms until it returns nil; after timeout it returns check's last
// error, which says what was last seen.
func eventually(ctx context.Context, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (after %s)", err, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func httpGet(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(body), nil
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func conditionText(c *metav1.Condition) string {
	if c == nil {
		return "no Ready condition yet"
	}
	return fmt.Sprintf("Ready=%s %s: %s", c.Status, c.Reason, c.Message)
}
