package clustercache

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/kubeconfig"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// remote is a real control plane, used both as "remote cluster" and to hold RemoteClusters.
var remote *testbed.Cluster

func TestMain(m *testing.M) {
	log.SetLogger(logr.Discard()) // the tests assert on results, not on logs
	planes, err := testbed.Start(testbed.Options{}, "remote")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	remote = planes[0]
	code := m.Run()
	_ = testbed.StopAll(planes)
	os.Exit(code)
}

// newCache returns a cache whose manager is not started (not elected) unless start is set.
func newCache(t *testing.T, namespace string, start bool) *Cache {
	t.Helper()
	mgr, err := ctrl.NewManager(remote.Config, ctrl.Options{Scheme: cluster.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	c := New(mgr, Options{Namespace: namespace})
	if start {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = mgr.Start(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		select {
		case <-mgr.Elected():
		case <-time.After(30 * time.Second):
			t.Fatal("manager not started")
		}
	}
	return c
}

func remoteCluster(name string, mutate ...func(*drv1.RemoteCluster)) *drv1.RemoteCluster {
	rc := &drv1.RemoteCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: drv1.RemoteClusterSpec{
			KubeconfigSecretRef: drv1.SecretKeyReference{Name: name, Key: "kubeconfig"},
			QPS:                 7, Burst: 9,
			HealthCheckInterval: &metav1.Duration{Duration: 20 * time.Second},
		},
	}
	for _, m := range mutate {
		m(rc)
	}
	return rc
}

func kubeconfigWith(t *testing.T, mutate func(*clientcmdapi.Cluster, *clientcmdapi.AuthInfo)) []byte {
	t.Helper()
	cfg, err := clientcmd.Load(remote.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	mutate(cfg.Clusters[ctx.Cluster], cfg.AuthInfos[ctx.AuthInfo])
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func notConnected(t *testing.T, err error, reason string) *NotConnectedError {
	t.Helper()
	var nce *NotConnectedError
	if !errors.As(err, &nce) || !errors.Is(err, ErrNotConnected) {
		t.Fatalf("want *NotConnectedError, got %T: %v", err, err)
	}
	if nce.Reason != reason {
		t.Fatalf("reason = %s, want %s (%s)", nce.Reason, reason, nce.Message)
	}
	return nce
}

func TestConnectProbeGet(t *testing.T) {
	c := newCache(t, "default", false)
	ctx := context.Background()
	rc := remoteCluster("prod")

	_, err := c.Get(ctx, "prod")
	notConnected(t, err, ReasonPending)

	h, err := c.Connect(ctx, rc, remote.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if h.Config.QPS != 7 || h.Config.Burst != 9 || h.Config.RateLimiter == nil {
		t.Errorf("QPS/Burst/RateLimiter = %v/%v/%v, want 7/9/shared limiter", h.Config.QPS, h.Config.Burst, h.Config.RateLimiter)
	}
	if h.Config.Timeout != RequestTimeout || !strings.HasPrefix(h.Config.UserAgent, "dr-syncer/") {
		t.Errorf("Timeout/UserAgent = %v/%q", h.Config.Timeout, h.Config.UserAgent)
	}
	// Not handed out before a probe succeeded.
	_, err = c.Get(ctx, "prod")
	notConnected(t, err, ReasonPending)

	ver, err := c.Probe(ctx, "prod")
	if err != nil || ver != "v1.37.2" {
		t.Fatalf("Probe = %q, %v", ver, err)
	}
	got, err := c.Get(ctx, "prod")
	if err != nil || got != h {
		t.Fatalf("Get = %p, %v; want the connected handle %p", got, err, h)
	}

	// Same inputs: same handle, still connected.
	again, err := c.Connect(ctx, rc, remote.Kubeconfig)
	if err != nil || again != h {
		t.Fatalf("Connect with unchanged inputs rebuilt the handle")
	}
	if _, err := c.Get(ctx, "prod"); err != nil {
		t.Fatalf("Get after unchanged Connect: %v", err)
	}

	// Each input of the hash rebuilds the handle.
	for name, change := range map[string]func(*drv1.RemoteCluster){
		"burst":   func(rc *drv1.RemoteCluster) { rc.Spec.Burst = 10 },
		"qps":     func(rc *drv1.RemoteCluster) { rc.Spec.QPS = 8 },
		"context": func(rc *drv1.RemoteCluster) { rc.Spec.Context = "envtest" },
	} {
		changed := rc.DeepCopy()
		change(changed)
		rebuilt, err := c.Connect(ctx, changed, remote.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		if rebuilt == h {
			t.Errorf("changing %s did not rebuild the handle", name)
		}
		h = rebuilt
	}
	rotated, err := c.Connect(ctx, rc, append([]byte("# rotated\n"), remote.Kubeconfig...))
	if err != nil || rotated == h {
		t.Fatalf("new Secret content did not rebuild the handle: %v", err)
	}
	_, err = c.Get(ctx, "prod")
	notConnected(t, err, ReasonPending)

	c.Disconnect("prod")
	_, err = c.Get(ctx, "prod")
	notConnected(t, err, ReasonPending)
	_, err = c.Probe(ctx, "prod")
	notConnected(t, err, ReasonPending)
}

func TestConnectRefusesKubeconfig(t *testing.T) {
	c := newCache(t, "default", false)
	ctx := context.Background()
	rc := remoteCluster("exec")
	data := kubeconfigWith(t, func(_ *clientcmdapi.Cluster, u *clientcmdapi.AuthInfo) {
		u.Exec = &clientcmdapi.ExecConfig{Command: "true", APIVersion: "client.authentication.k8s.io/v1", InteractiveMode: clientcmdapi.NeverExecInteractiveMode}
	})
	_, err := c.Connect(ctx, rc, data)
	nce := notConnected(t, err, drv1.ReasonKubeconfigRejected)
	if !kubeconfig.IsRejected(err) {
		t.Errorf("the kubeconfig error is not wrapped: %v", err)
	}
	if !strings.Contains(nce.Message, "default/exec (key kubeconfig)") || !strings.Contains(nce.Message, "users[envtest].exec") {
		t.Errorf("message does not name the Secret and field: %s", nce.Message)
	}
	_, err = c.Get(ctx, "exec")
	notConnected(t, err, drv1.ReasonKubeconfigRejected)

	_, err = c.Connect(ctx, remoteCluster("garbage"), []byte("::"))
	notConnected(t, err, drv1.ReasonInvalidKubeconfig)

	// The same kubeconfig is accepted when the policy allows exec.
	allow := newCache(t, "default", false)
	allow.opts.Policy = kubeconfig.Policy{AllowExec: true}
	if _, err := allow.Connect(ctx, rc, data); err != nil {
		t.Fatalf("AllowExec: %v", err)
	}
}

func TestProbeFailures(t *testing.T) {
	c := newCache(t, "default", false)
	ctx := context.Background()

	unreachable := remoteCluster("unreachable")
	if _, err := c.Connect(ctx, unreachable, kubeconfigWith(t, func(cl *clientcmdapi.Cluster, _ *clientcmdapi.AuthInfo) {
		cl.Server = "https://127.0.0.1:1"
	})); err != nil {
		t.Fatal(err)
	}
	_, err := c.Probe(ctx, "unreachable")
	nce := notConnected(t, err, drv1.ReasonUnreachable)
	if d := nce.RetryAfter(); d < 15*time.Second || d > 20*time.Second {
		t.Errorf("RetryAfter = %v, want up to the 20s probe interval", d)
	}
	_, err = c.Get(ctx, "unreachable")
	notConnected(t, err, drv1.ReasonUnreachable)

	if _, err := c.Connect(ctx, remoteCluster("unauthorized"), kubeconfigWith(t, func(_ *clientcmdapi.Cluster, u *clientcmdapi.AuthInfo) {
		*u = clientcmdapi.AuthInfo{Token: "not-a-valid-token"}
	})); err != nil {
		t.Fatal(err)
	}
	_, err = c.Probe(ctx, "unauthorized")
	nce = notConnected(t, err, drv1.ReasonUnauthorized)
	if strings.Contains(nce.Message, "not-a-valid-token") {
		t.Errorf("message leaks the token: %s", nce.Message)
	}

	// SetNotConnected drops a working handle.
	ok := remoteCluster("ok")
	if _, err := c.Connect(ctx, ok, remote.Kubeconfig); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Probe(ctx, "ok"); err != nil {
		t.Fatal(err)
	}
	c.SetNotConnected(ok, drv1.ReasonSecretNotFound, "Secret default/ok not found")
	_, err = c.Get(ctx, "ok")
	nce = notConnected(t, err, drv1.ReasonSecretNotFound)
	if nce.Message != "Secret default/ok not found" {
		t.Errorf("message = %q", nce.Message)
	}
}

func TestNotConnectedErrorRetryAfterDefault(t *testing.T) {
	if d := (&NotConnectedError{}).RetryAfter(); d != defaultRetryAfter {
		t.Errorf("RetryAfter of an unknown cluster = %v, want %v", d, defaultRetryAfter)
	}
}

func TestReadyzCheck(t *testing.T) {
	ctx := context.Background()
	k8s, err := client.New(remote.Config, client.Options{Scheme: cluster.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	ns := "readyz"
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"one", "two", "three"} {
		rc := remoteCluster(name, func(rc *drv1.RemoteCluster) { rc.Namespace = ns })
		if err := k8s.Create(ctx, rc); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest("GET", "/readyz", nil)

	// A standby (not elected) replica reconciles nothing and is ready.
	if err := newCache(t, ns, false).ReadyzCheck(req); err != nil {
		t.Errorf("standby: %v", err)
	}

	c := newCache(t, ns, true)
	c.Disconnect("one") // reconciled before the list is taken
	err = c.ReadyzCheck(req)
	if err == nil || !strings.Contains(err.Error(), "2 RemoteClusters not reconciled yet: three, two") {
		t.Fatalf("ReadyzCheck = %v", err)
	}
	// Any outcome counts, healthy or not.
	c.SetNotConnected(remoteCluster("two"), drv1.ReasonSecretNotFound, "gone")
	if err := c.ReadyzCheck(req); err == nil || !strings.Contains(err.Error(), "1 RemoteClusters not reconciled yet: three") {
		t.Fatalf("ReadyzCheck = %v", err)
	}
	if _, err := c.Connect(ctx, remoteCluster("three"), []byte("garbage")); err == nil {
		t.Fatal("garbage accepted")
	}
	if err := c.ReadyzCheck(req); err != nil {
		t.Fatalf("ReadyzCheck after every cluster was reconciled: %v", err)
	}
	// Ready stays ready.
	c.SetNotConnected(remoteCluster("four"), drv1.ReasonSecretNotFound, "gone")
	if err := c.ReadyzCheck(req); err != nil {
		t.Fatal(err)
	}
}
