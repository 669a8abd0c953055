package cli_test

import (
	"encoding/json"
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
	g.Expect(r.Code).To(Equal(0), "%s", r)

	r = drSyncer(t, append([]string{"cutover", "--wait", "--timeout", "2s"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(3), "%s", r)
	expectState(g, dr, ns, running)
	g.Expect(r.Stdout).To(ContainSubstring("waiting up to 2s for 4 workloads in dr/" + ns + " to be ready"))
	g.Expect(r.Stdout).To(MatchRegexp(`CronJob nightly ready after \d+\.\ds`))
	g.Expect(r.Stdout).To(ContainSubstring("not ready after 2s: 3 of 4 workloads"))
	g.Expect(r.Stdout).To(ContainSubstring("Deployment web: InProgress"))
	g.Expect(r.Stdout).To(ContainSubstring("StatefulSet db: InProgress"))
	g.Expect(r.Stdout).To(ContainSubstring("DaemonSet agent: InProgress"))
	g.Expect(r.Stdout).NotTo(ContainSubstring("DR ready in"))

	// -o json: the same wait as data, the steps on standard error.
	r = drSyncer(t, append([]string{"cutover", "--wait", "--timeout", "1s", "-o", "json"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(3), "%s", r)
	g.Expect(r.Stderr).To(ContainSubstring("not ready after 1s: 3 of 4 workloads"))
	var doc struct {
		Changes  int      `json:"changes"`
		Warnings []string `json:"warnings"`
		Wait     *struct {
			Ready        bool    `json:"ready"`
			ReadySeconds float64 `json:"readySeconds"`
			Workloads    []struct {
				Kind, Name, Message string
				Ready               bool
			} `json:"workloads"`
		} `json:"wait"`
	}
	g.Expect(json.Unmarshal([]byte(r.Stdout), &doc)).To(Succeed(), "%s", r)
	g.Expect(doc.Changes).To(BeZero(), "a second cutover changes nothing")
	g.Expect(doc.Wait).NotTo(BeNil())
	g.Expect(doc.Wait.Ready).To(BeFalse())
	g.Expect(doc.Wait.ReadySeconds).To(BeNumerically(">=", 1))
	g.Expect(doc.Wait.Workloads).To(HaveLen(4))
	for _, w := range doc.Wait.Workloads {
		g.Expect(w.Ready).To(Equal(w.Kind == "CronJob"), "%s %s: %s", w.Kind, w.Name, w.Message)
	}

	// --wait=false returns at once, exit 0; no wait in the document.
	r = drSyncer(t, append([]string{"cutover", "--wait=false"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).NotTo(ContainSubstring("waiting up to"))
	r = drSyncer(t, append([]string{"cutover", "--wait=false", "-o", "yaml"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(Equal("changes: 0\ndryRun: false\nwarnings: []\n"))
}
