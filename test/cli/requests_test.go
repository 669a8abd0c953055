package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// TestSyncNoOpRequests counts, through a proxy in front of the DR control plane, what `sync` sends
// when nothing changed. Each run is a new process for the engine (no applied cache): it confirms
// the objects from dr-syncer's field set and the live values, without a write or a dry run.
func TestSyncNoOpRequests(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, prod, "cli-requests")
	objects := workloads(ns)
	for i := range 20 {
		objects = append(objects, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("cm-%02d", i)},
			Data: map[string]string{"k": fmt.Sprint(i)}})
	}
	create(g, prod, objects...)

	proxy, err := testbed.NewCountingProxy(drTB)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(proxy.Close)
	kc, err := proxy.Kubeconfig()
	g.Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(t.TempDir(), "dr-counted.kubeconfig")
	g.Expect(os.WriteFile(path, kc, 0o600)).To(Succeed())
	args := []string{"sync", "--source-kubeconfig", kubeconfigs["prod"], "--dest-kubeconfig", path, "--source-namespace", ns}

	r := drSyncer(t, args...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(proxy.Counts().Writes).To(BeNumerically(">=", len(objects)), "the first sync goes through the proxy")

	for round := range 2 {
		proxy.Reset()
		r = drSyncer(t, args...)
		g.Expect(r.Code).To(Equal(0), "%s", r)
		c := proxy.Counts()
		g.Expect(c.Writes).To(BeZero(), "round %d: writes on a no-op sync: %v", round, c.WriteLog)
		g.Expect(c.DryRuns).To(BeZero(), "round %d: dry runs on a no-op sync", round)
	}
}
