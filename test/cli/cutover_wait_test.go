package cli_test

import (
	"testing"

	. "github.com/onsi/gomega"
)

// TestCutoverWaitTimesOut: on API servers without controllers no activated workload becomes
// ready: cutover --wait brings DR live all the same, then lists what is not ready with kstatus'
// reason and exits 3 at --timeout. (The runnable bed's tests see it come up.)
func TestCutoverWaitTimesOut(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, prod, "waiting")
	create(g, prod, workloads(ns)...)
	mapping(g, ns, ns)
	byMapping := []string{"--mapping", controllerNS + "/" + ns, "--kubeconfig", kubeconfigs["prod"]}
	r := drSyncer(t, append([]string{"sync"}, byMapping...)...)
	g.Expect(r.code).To(Equal(0), "%s", r)

	r = drSyncer(t, append([]string{"cutover", "--wait", "--timeout", "2s"}, byMapping...)...)
	g.Expect(r.code).To(Equal(3), "%s", r)
	expectState(g, dr, ns, running)
	g.Expect(r.stdout).To(ContainSubstring("waiting up to 2s for 4 workloads in dr/" + ns + " to be ready"))
	g.Expect(r.stdout).To(MatchRegexp(`CronJob nightly ready after \d+\.\ds`))
	g.Expect(r.stdout).To(ContainSubstring("not ready after 2s: 3 of 4 workloads"))
	g.Expect(r.stdout).To(ContainSubstring("Deployment web: InProgress"))
	g.Expect(r.stdout).To(ContainSubstring("StatefulSet db: InProgress"))
	g.Expect(r.stdout).To(ContainSubstring("DaemonSet agent: InProgress"))
	g.Expect(r.stdout).NotTo(ContainSubstring("DR ready in"))

	// --wait=false returns at once, exit 0.
	r = drSyncer(t, append([]string{"cutover", "--wait=false"}, byMapping...)...)
	g.Expect(r.code).To(Equal(0), "%s", r)
	g.Expect(r.stdout).NotTo(ContainSubstring("waiting up to"))
}
