package readiness_test

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	upTimeout = 3 * time.Minute
	interval  = 250 * time.Millisecond
)

// TestCutoverWaitComesUp: a parked DR namespace runs no Pod; cutover --wait (the default)
// returns once every activated workload is ready, having printed each and "DR ready in", and
// by then every workload has its recorded count of ready Pods.
func TestCutoverWaitComesUp(t *testing.T) {
	g := NewWithT(t)
	ns := synced(t, g, "cutover", shop)
	g.Consistently(func() int { return podCount(g, dr, ns) }).WithTimeout(3 * time.Second).WithPolling(interval).Should(BeZero())

	r := drSyncer(t, append([]string{"cutover", "--timeout", upTimeout.String()}, flagForm(ns)...)...)
	t.Logf("%s", r.Stdout)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(MatchRegexp(`waiting up to 3m0s for 5 workloads in dr/` + ns + ` to be ready`))
	for _, w := range []string{"Deployment web", "StatefulSet db", "ReplicationController legacy", "DaemonSet agent", "CronJob nightly"} {
		g.Expect(r.Stdout).To(MatchRegexp(w+` ready after \d+\.\ds`), "%s", r)
	}
	g.Expect(r.Stdout).To(MatchRegexp(`DR ready in \d+\.\ds\n$`))
	g.Expect(readyPods(g, dr, ns)).To(Equal(map[string]int{"web": 2, "db": 2, "legacy": 2, "agent": drNodes}))
}

// TestCutoverWaitReportsWhy: a workload that cannot come up (no node matches its Pods) keeps
// cutover waiting until --timeout; then it lists that workload with kstatus' summary and the
// Deployment's own condition message, and exits 3. The others came up meanwhile.
func TestCutoverWaitReportsWhy(t *testing.T) {
	g := NewWithT(t)
	ns := synced(t, g, "stuck", func(ns string) []client.Object { return append(shop(ns), stuck(ns)) })
	r := drSyncer(t, append([]string{"cutover", "--timeout", "30s"}, flagForm(ns)...)...)
	t.Logf("%s", r.Stdout)
	g.Expect(r.Code).To(Equal(3), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("not ready after 30s: 1 of 6 workloads"))
	g.Expect(r.Stdout).To(MatchRegexp(`  Deployment stuck: InProgress: .*Available: Deployment does not have minimum availability\.`))
	g.Expect(r.Stdout).To(MatchRegexp(`Deployment web ready after \d+\.\ds`))
	g.Expect(r.Stdout).NotTo(ContainSubstring("DR ready in"))
}

// drillDoc is the -o json document of drill.
type drillDoc struct {
	Namespace  string  `json:"namespace"`
	RTOSeconds float64 `json:"rtoSeconds"`
	Ready      bool    `json:"ready"`
	Workloads  []struct {
		Kind               string   `json:"kind"`
		Name               string   `json:"name"`
		Ready              bool     `json:"ready"`
		Message            string   `json:"message"`
		TimeToReadySeconds *float64 `json:"timeToReadySeconds"`
	} `json:"workloads"`
	Adapted []string `json:"adapted"`
	Kept    bool     `json:"kept"`
}

// TestDrillComesUp: a drill of a parked DR namespace brings every workload up in a scratch
// namespace, reports each with its time to ready and the RTO, and exits 0; the source and the
// DR namespace are untouched (the DR namespace runs no Pod), and the scratch namespace is gone
// afterwards.
func TestDrillComesUp(t *testing.T) {
	g := NewWithT(t)
	ns := synced(t, g, "drill", shop)
	prodBefore, drBefore := versions(g, prod, ns), settledVersions(g, dr, ns)

	r := drSyncer(t, append([]string{"drill", "--timeout", upTimeout.String(), "-o", "json"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	var doc drillDoc
	g.Expect(json.Unmarshal([]byte(r.Stdout), &doc)).To(Succeed(), "%s", r)
	g.Expect(doc.Ready).To(BeTrue())
	g.Expect(doc.Workloads).To(HaveLen(5))
	for _, w := range doc.Workloads {
		g.Expect(w.Ready).To(BeTrue(), "%s %s: %s", w.Kind, w.Name, w.Message)
		g.Expect(w.TimeToReadySeconds).NotTo(BeNil())
		g.Expect(*w.TimeToReadySeconds).To(BeNumerically("<=", doc.RTOSeconds))
	}
	g.Expect(doc.RTOSeconds).To(BeNumerically(">", 0))
	g.Expect(doc.Adapted).To(ContainElement("Service front: type LoadBalancer created as ClusterIP (no load balancer, no address of production's)"))
	g.Expect(r.Stderr).To(MatchRegexp(`Deployment web ready after \d+\.\ds`))

	g.Expect(versions(g, prod, ns)).To(Equal(prodBefore))
	g.Expect(versions(g, dr, ns)).To(Equal(drBefore))
	g.Expect(podCount(g, dr, ns)).To(BeZero())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(dr.Client.Get(context.Background(), client.ObjectKey{Name: doc.Namespace}, &corev1.Namespace{}))
	}).WithTimeout(upTimeout).WithPolling(interval).Should(BeTrue(), "scratch namespace %s still there", doc.Namespace)
}

// TestDrillNotReady: a workload that cannot come up fails the drill (exit 1) with its reason in
// the table; --keep leaves the scratch namespace, and the next drill deletes it first.
func TestDrillNotReady(t *testing.T) {
	g := NewWithT(t)
	ns := synced(t, g, "drillstuck", func(ns string) []client.Object { return append(shop(ns), stuck(ns)) })
	r := drSyncer(t, append([]string{"drill", "--timeout", "30s", "--keep"}, flagForm(ns)...)...)
	t.Logf("%s", r.Stdout)
	g.Expect(r.Code).To(Equal(1), "%s", r)
	g.Expect(r.Stdout).To(MatchRegexp(`Deployment\s+stuck\s+false\s+-\s+InProgress: .*minimum availability`))
	g.Expect(r.Stdout).To(MatchRegexp(`RTO \d+\.\ds: NOT every workload came up \(6 workloads\)`))
	g.Expect(dr.Client.Get(context.Background(), client.ObjectKey{Name: ns + "-drill"}, &corev1.Namespace{})).To(Succeed())

	r = drSyncer(t, append([]string{"drill", "--timeout", "5s"}, flagForm(ns)...)...)
	g.Expect(r.Code).To(Equal(1), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("namespace " + ns + "-drill is left from an earlier drill: deleting it first"))
	g.Expect(r.Stdout).To(ContainSubstring("namespace " + ns + "-drill deleted"))
}

// TestProductionDown: with the source cluster unreachable (its kubeconfig points at a port
// nobody listens on), a drill still comes up, reading only DR, and so does a cutover with
// --wait.
func TestProductionDown(t *testing.T) {
	g := NewWithT(t)
	ns := synced(t, g, "down", shop)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	addr := l.Addr().String()
	g.Expect(l.Close()).To(Succeed())
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	cfg.Clusters["prod"].Server = "https://" + addr
	down := filepath.Join(t.TempDir(), "down.kubeconfig")
	g.Expect(clientcmd.WriteToFile(*cfg, down)).To(Succeed())
	args := []string{"--source-kubeconfig", down, "--source-context", "prod",
		"--dest-kubeconfig", kubeconfig, "--dest-context", "dr", "--source-namespace", ns}

	r := drSyncer(t, append([]string{"drill", "--timeout", upTimeout.String()}, args...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(MatchRegexp(`RTO \d+\.\ds: every workload ready \(5 workloads\)`))

	r = drSyncer(t, append([]string{"cutover", "--source-timeout", "2s", "--timeout", upTimeout.String()}, args...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("final sync skipped: the source is unreachable"))
	g.Expect(r.Stdout).To(MatchRegexp(`DR ready in \d+\.\ds\n$`))
	g.Expect(readyPods(g, dr, ns)).To(Equal(map[string]int{"web": 2, "db": 2, "legacy": 2, "agent": drNodes}))
}
