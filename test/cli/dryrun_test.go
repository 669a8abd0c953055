package cli_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

// changeLine is a line that reports a write of a cutover or failback step (notes, warnings and
// sync summaries are other lines); a dry run prefixes it with "(dry run) ".
var changeLine = regexp.MustCompile(`^  (\(dry run\) )?((Deployment|StatefulSet|DaemonSet|CronJob|Namespace|NamespaceMapping) \S+: .*)$`)

var timestamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// changesByStep returns the change lines of a cutover or failback output per step header
// ("[2/5] final sync ..."), timestamps replaced, without the dry-run prefix.
func changesByStep(out string) map[string][]string {
	steps := map[string][]string{}
	step := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "[") {
			step = l
			steps[step] = []string{}
			continue
		}
		if m := changeLine.FindStringSubmatch(l); m != nil && step != "" {
			steps[step] = append(steps[step], timestamp.ReplaceAllString(m[2], "<time>"))
		}
	}
	return steps
}

// changeCount is the number of changes the last line of a cutover or failback reports.
func changeCount(g Gomega, out string) string {
	m := regexp.MustCompile(`(?m)(?:would make (\d+) changes|done: (\d+) changes|done: (nothing) to change)`).FindStringSubmatch(out)
	g.Expect(m).NotTo(BeNil(), "no outcome line in %s", out)
	return m[1] + m[2] + strings.Replace(m[3], "nothing", "0", 1)
}

// expectDryRunPreviews runs the command with --dry-run, checks that it wrote nothing, then runs
// it for real and checks that the dry run printed exactly the changes of the real run, step by
// step. It returns the dry run's output.
func expectDryRunPreviews(t *testing.T, g Gomega, ns string, args ...string) string {
	t.Helper()
	prodBefore, drBefore := versions(g, prod, ns), versions(g, dr, ns)
	dry := drSyncer(t, append(args, "--dry-run")...)
	g.Expect(dry.Code).To(Equal(0), "%s", dry)
	g.Expect(versions(g, prod, ns)).To(Equal(prodBefore), "the dry run wrote to prod")
	g.Expect(versions(g, dr, ns)).To(Equal(drBefore), "the dry run wrote to DR")
	real := drSyncer(t, args...)
	g.Expect(real.Code).To(Equal(0), "%s", real)
	g.Expect(changesByStep(dry.Stdout)).To(Equal(changesByStep(real.Stdout)), "dry run:\n%s\nreal run:\n%s", dry.Stdout, real.Stdout)
	g.Expect(changeCount(g, dry.Stdout)).To(Equal(changeCount(g, real.Stdout)), "dry run:\n%s\nreal run:\n%s", dry.Stdout, real.Stdout)
	return dry.Stdout
}

func scale(g Gomega, h *cluster.Handle, ns, name string, replicas int32) {
	d := &appsv1.Deployment{}
	g.Expect(h.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, d)).To(Succeed())
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Replicas = ptr.To(replicas)
	g.Expect(h.Client.Patch(context.Background(), d, patch)).To(Succeed())
}

// TestDryRunPreviewsWhatTheRunDoes: the dry run of cutover and of failback --reverse-sync print
// the changes the real run then makes, also where an earlier step changes what a later one
// finds: the final sync reverts a hand-scaled DR copy and creates a new one before activation,
// and the reverse sync records DR's current count on the source before the restore.
func TestDryRunPreviewsWhatTheRunDoes(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(g, prod, "preview")
	create(g, prod, workloads(ns)...)
	mapping(g, ns, ns)
	byMapping := []string{"--mapping", controllerNS + "/" + ns, "--kubeconfig", kubeconfigs["prod"]}
	// The controller's sync: the mapping records the recovery point (RPO).
	r := drSyncer(t, "trigger", ns, "--wait", "--kubeconfig", kubeconfigs["prod"])
	g.Expect(r.Code).To(Equal(0), "%s", r)

	// DR's web scaled by hand while parked; a Deployment the last sync has not copied yet.
	scale(g, dr, ns, "web", 4)
	fresh := workloads(ns)[0].(*appsv1.Deployment)
	fresh.ObjectMeta = metav1.ObjectMeta{Name: "fresh", Namespace: ns}
	fresh.Spec.Replicas = ptr.To[int32](2)
	create(g, prod, fresh)

	out := expectDryRunPreviews(t, g, ns, append([]string{"cutover"}, byMapping...)...)
	g.Expect(out).To(ContainSubstring("(dry run) Deployment web: replicas=0 → replicas=3"))
	g.Expect(out).To(ContainSubstring("(dry run) Deployment fresh: replicas=0 → replicas=2"))
	g.Expect(stateOf(g, dr, ns).webReplicas).To(Equal(int64(3)))
	expectLiveSinceShown(t, g, ns)

	// DR scaled to 7 while live: failback --reverse-sync takes 7 back to the source.
	scale(g, dr, ns, "web", 7)
	out = expectDryRunPreviews(t, g, ns, append([]string{"failback", "--reverse-sync"}, byMapping...)...)
	g.Expect(out).To(ContainSubstring("(dry run) Deployment web: replicas=7 → replicas=0"))
	g.Expect(out).To(ContainSubstring("(dry run) Deployment web: replicas=0 → replicas=7"))
	g.Expect(stateOf(g, prod, ns).webReplicas).To(Equal(int64(7)))
	g.Eventually(func() *metav1.Time { return getMapping(g, prod, controllerNS, ns).Status.LiveSince }).
		WithTimeout(10*time.Second).WithPolling(interval).Should(BeNil(), "status.liveSince after failback")
}

// expectLiveSinceShown checks, for the mapping ns just cut over, that the controller records
// status.liveSince from the DR namespace's annotation, that status -o wide and -o jsonpath show
// it, and that kubectl's -o wide columns (the CRD's printer columns) include RPO and Live Since.
func expectLiveSinceShown(t *testing.T, g Gomega, ns string) {
	t.Helper()
	since, err := time.Parse(time.RFC3339, liveSince(g, dr, ns))
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func() *metav1.Time { return getMapping(g, prod, controllerNS, ns).Status.LiveSince }).
		WithTimeout(10*time.Second).WithPolling(interval).Should(Satisfy(func(t *metav1.Time) bool { return t != nil && t.Time.Equal(since) }), "status.liveSince")
	ctl := []string{"--kubeconfig", kubeconfigs["prod"]}

	r := drSyncer(t, append([]string{"status", "-o", "wide"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	header, row := lines(r.Stdout, "NAMESPACEMAPPING")[0], lines(r.Stdout, ns+" ", "Live")[0]
	// The value under a column name (both lines hold one "→" before it, so bytes align).
	col := func(name string) string {
		i := strings.Index(header, name)
		g.Expect(i).To(BeNumerically(">=", 0), "column %s in %q", name, header)
		return strings.Fields(row[i:])[0]
	}
	g.Expect(col("MODE")).To(Equal("Manual"))
	g.Expect(col("PHASE")).To(Equal("Live"))
	g.Expect(col("LIVE SINCE")).To(Equal(since.UTC().Format(time.RFC3339)))
	g.Expect(col("RPO")).To(MatchRegexp(`^\d+s$`))

	r = drSyncer(t, append([]string{"status", "-o", "jsonpath={.namespaceMappings[?(@.name==\"" + ns + "\")].liveSince}"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(Equal(since.UTC().Format(time.RFC3339)))

	r = drSyncer(t, append([]string{"status", "-o", "go-template={{range .namespaceMappings}}{{.name}}={{.phase}} {{end}}"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring(ns + "=Live "))
	r = drSyncer(t, append([]string{"status", "-o", "name"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("namespacemapping.dr-syncer.io/" + ns + "\n"))
	g.Expect(r.Stdout).To(ContainSubstring("remotecluster.dr-syncer.io/" + drClusterRef + "\n"))
	r = drSyncer(t, append([]string{"status", "--no-headers"}, ctl...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).NotTo(ContainSubstring("NAMESPACEMAPPING"))
	g.Expect(r.Stdout).NotTo(ContainSubstring("REMOTECLUSTER"))
	g.Expect(lines(r.Stdout, ns+" ", "Live")).To(HaveLen(1), "%s", r)

	// kubectl get nsmap -o wide: the API server's Table.
	cs, err := kubernetes.NewForConfig(prodTB.Config)
	g.Expect(err).NotTo(HaveOccurred())
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/apis/dr-syncer.io/v1alpha1/namespaces", controllerNS, "namespacemappings", ns).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(context.Background()).Raw()
	g.Expect(err).NotTo(HaveOccurred())
	table := &metav1.Table{}
	g.Expect(json.Unmarshal(raw, table)).To(Succeed(), "%s", raw)
	g.Expect(table.Rows).To(HaveLen(1))
	cells := map[string]any{}
	for i, c := range table.ColumnDefinitions {
		cells[c.Name] = table.Rows[0].Cells[i]
	}
	g.Expect(cells).To(HaveKeyWithValue("Mode", "Manual"))
	g.Expect(cells).To(HaveKeyWithValue("Phase", "Live"))
	g.Expect(cells).To(HaveKey("Last Sync"))
	g.Expect(cells["RPO"]).To(MatchRegexp(`^\d+s$`))
	g.Expect(cells["Live Since"]).To(MatchRegexp(`^\d+s$`))
}
