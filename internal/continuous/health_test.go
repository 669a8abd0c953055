package continuous

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// TestInformerReportsOutageAndRecovery: an informer whose API server stops answering reports
// it, retries every reconnectEvery rather than client-go's backoff of up to 30 s, reports the
// recovery within a few seconds of the server answering again and sees changes again.
func TestInformerReportsOutageAndRecovery(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("needs the test bed binaries: KUBEBUILDER_ASSETS (make test sets it)")
	}
	planes, err := testbed.Start(testbed.Options{}, "health")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = testbed.StopAll(planes) })
	u, err := url.Parse(planes[0].Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := testbed.NewProxy(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	kc, err := proxy.Kubeconfig(planes[0].Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	if err != nil {
		t.Fatal(err)
	}
	h, err := cluster.New("health", cfg)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := cluster.New("direct", planes[0].Config)
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var reports []error
	hl := newHealth()
	hl.subscribe("test", func(err error) {
		mu.Lock()
		reports = append(reports, err)
		mu.Unlock()
	})
	last := func() (int, error) {
		mu.Lock()
		defer mu.Unlock()
		if len(reports) == 0 {
			return 0, nil
		}
		return len(reports), reports[len(reports)-1]
	}
	inf := newMetadataInformer(h.Metadata, "default", corev1.SchemeGroupVersion.WithResource("configmaps"), "", hl)
	stop := make(chan struct{})
	defer close(stop)
	go inf.Run(stop)
	ctx := context.Background()
	poll := func(timeout time.Duration, what string, ok func() bool) {
		t.Helper()
		if err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, timeout, true, func(context.Context) (bool, error) { return ok(), nil }); err != nil {
			t.Fatalf("%s: not within %s", what, timeout)
		}
	}
	poll(30*time.Second, "informer synced", inf.HasSynced)

	// Down long enough for client-go's own backoff to grow past several seconds.
	proxy.Stop()
	poll(30*time.Second, "outage reported", func() bool { n, err := last(); return n > 0 && err != nil })
	const created = 3
	for i := range created {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("during-%d", i)}}
		if err := direct.Client.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	// Down for 12 s, long enough for client-go's own backoff to grow past 5 s; no
	// recovery is reported meanwhile.
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 12*time.Second, true, func(context.Context) (bool, error) {
		if _, err := last(); err == nil {
			return false, errors.New("recovery reported while the server is down")
		}
		return false, nil
	})
	if !wait.Interrupted(err) {
		t.Fatal(err)
	}
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	poll(5*time.Second, "recovery reported", func() bool { n, err := last(); return n > 1 && err == nil })
	t.Logf("recovery reported %s after the server answered again", time.Since(up).Round(10*time.Millisecond))
	poll(5*time.Second, "changes seen", func() bool { return len(inf.GetStore().ListKeys()) == created })
}
