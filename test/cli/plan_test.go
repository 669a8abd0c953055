package cli_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// Secret values of the plan test: neither they nor their base64 form may appear in any output.
var secretValues = []string{"s3cr3t-before-value", "n3w-s3cr3t-after-value"}

func expectNoSecrets(g Gomega, r result) {
	for _, v := range secretValues {
		g.Expect(r.All()).NotTo(ContainSubstring(v))
		g.Expect(r.All()).NotTo(ContainSubstring(base64.StdEncoding.EncodeToString([]byte(v))))
	}
}

// row finds the table row of one object: ACTION KIND NAME.
func row(out, action, kind, name string) bool {
	return regexp.MustCompile(`(?m)^` + action + `\s+` + kind + `\s+` + regexp.QuoteMeta(name) + `(\s|$)`).MatchString(out)
}

// TestPlanShowsEveryChangeKind plans a namespace with a create, an update, a delete, a conflict
// and unchanged objects, syncs it, and plans again.
func TestPlanShowsEveryChangeKind(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "plan")
	cm := func(name, v string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: map[string]string{"mode": v}}
	}
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: ns},
		Data: map[string][]byte{"password": []byte(secretValues[0])}}
	create(g, prod, cm("keep", "a"), cm("change", "blue"), cm("gone", "x"), creds, workloads(ns)[0])

	// Nothing in DR yet: everything is a create, including the namespace.
	r := drSyncer(t, append(flagForm(ns), "plan", "--diff")...)
	g.Expect(r.Code).To(Equal(2), "%s", r)
	g.Expect(row(r.Stdout, "create", "Namespace", ns)).To(BeTrue(), "%s", r)
	g.Expect(row(r.Stdout, "create", "Secret", "creds")).To(BeTrue(), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("+++ planned/v1.Secret." + ns + ".creds"))
	g.Expect(r.Stdout).To(MatchRegexp(`Plan: 5 to create, 0 to update, 0 to delete, 0 unchanged, 0 conflicts`))
	// The standby column: what is held back until cutover, and how.
	g.Expect(lines(r.Stdout, "create", "Deployment", "web")).To(ConsistOf(MatchRegexp(`web\s+parked\s+spec\.replicas=0 \(source: 3\)`)), "%s", r)
	g.Expect(lines(r.Stdout, "create", "ConfigMap", "keep")).To(ConsistOf(MatchRegexp(`keep\s+-`)), "%s", r)
	expectNoSecrets(g, r)
	g.Expect(missing(dr, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(BeTrue(), "plan wrote the DR namespace")

	r = drSyncer(t, append(flagForm(ns), "sync")...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stderr).To(ContainSubstring("sync: 5 objects to plan and write"))
	g.Expect(r.Stdout).To(MatchRegexp(`Synced: 5 created, 0 updated, 0 deleted, 0 unchanged`))
	expectNoSecrets(g, r)

	r = drSyncer(t, append(flagForm(ns), "plan")...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("Plan: 0 to create, 0 to update, 0 to delete, 5 unchanged"))

	// One of each change kind.
	changed := cm("change", "green")
	g.Expect(prod.Client.Update(ctx, changed)).To(Succeed())
	g.Expect(prod.Client.Delete(ctx, cm("gone", ""))).To(Succeed())
	creds.Data["password"] = []byte(secretValues[1])
	g.Expect(prod.Client.Update(ctx, creds)).To(Succeed())
	create(g, prod, cm("fresh", "new"), cm("taken", "source"))
	create(g, dr, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "taken", Namespace: ns}, Data: map[string]string{"mode": "dr-only"}})
	before := versions(g, dr, ns)

	r = drSyncer(t, append(flagForm(ns), "plan", "--diff")...)
	g.Expect(r.Code).To(Equal(2), "%s", r)
	for _, want := range [][3]string{
		{"create", "ConfigMap", "fresh"}, {"update", "ConfigMap", "change"}, {"update", "Secret", "creds"},
		{"delete", "ConfigMap", "gone"}, {"conflict", "ConfigMap", "taken"},
		{"unchanged", "ConfigMap", "keep"}, {"unchanged", "Deployment", "web"},
	} {
		g.Expect(row(r.Stdout, want[0], want[1], want[2])).To(BeTrue(), "no row %v in\n%s", want, r)
	}
	g.Expect(r.Stdout).To(ContainSubstring("Plan: 1 to create, 2 to update, 1 to delete, 2 unchanged, 1 conflicts"))
	g.Expect(lines(r.Stdout, "conflict", "taken")[0]).To(ContainSubstring("not created by dr-syncer"))
	// kubectl-diff-like diffs: the changed value, the masked Secret, the deleted object.
	g.Expect(r.Stdout).To(ContainSubstring("--- live/v1.ConfigMap." + ns + ".change\n+++ planned/v1.ConfigMap." + ns + ".change\n"))
	g.Expect(r.Stdout).To(ContainSubstring("-  mode: blue\n+  mode: green\n"))
	g.Expect(r.Stdout).To(ContainSubstring("-  password: '*** (before)'\n+  password: '*** (after)'\n"))
	g.Expect(r.Stdout).To(ContainSubstring("--- live/v1.ConfigMap." + ns + ".gone\n+++ planned/v1.ConfigMap." + ns + ".gone\n"))
	g.Expect(r.Stdout).NotTo(ContainSubstring("planned/v1.ConfigMap."+ns+".taken"), "a conflict is not changed: no diff")
	expectNoSecrets(g, r)

	// The same plan as JSON and YAML.
	r = drSyncer(t, append(flagForm(ns), "plan", "--diff", "-o", "json")...)
	g.Expect(r.Code).To(Equal(2), "%s", r)
	expectNoSecrets(g, r)
	var plan struct {
		DryRun  bool `json:"dryRun"`
		Summary struct{ Created, Updated, Deleted, Unchanged, Conflicts int }
		Actions []struct{ Action, Kind, Name, Diff, Standby, Parked string }
	}
	g.Expect(json.Unmarshal([]byte(r.Stdout), &plan)).To(Succeed())
	g.Expect(plan.DryRun).To(BeTrue())
	g.Expect(plan.Summary).To(Equal(struct{ Created, Updated, Deleted, Unchanged, Conflicts int }{1, 2, 1, 2, 1}))
	diffs := map[string]string{}
	for _, a := range plan.Actions {
		diffs[a.Action+"/"+a.Name] = a.Diff
		if a.Kind == "Deployment" {
			g.Expect(a.Standby).To(Equal("parked"))
			g.Expect(a.Parked).To(Equal("parked: spec.replicas=0 (source: 3)"))
		}
	}
	g.Expect(diffs).To(HaveKey("conflict/taken"))
	g.Expect(diffs["update/creds"]).To(ContainSubstring("*** (after)"))
	r = drSyncer(t, append(flagForm(ns), "plan", "--diff", "-o", "yaml")...)
	g.Expect(r.Code).To(Equal(2), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("action: conflict"))
	expectNoSecrets(g, r)
	g.Expect(versions(g, dr, ns)).To(Equal(before), "plan wrote to DR")

	// Sync carries the plan out; the conflict stays a conflict and is no change.
	r = drSyncer(t, append(flagForm(ns), "sync")...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(row(r.Stdout, "conflict", "ConfigMap", "taken")).To(BeTrue(), "%s", r)
	g.Expect(row(r.Stdout, "unchanged", "ConfigMap", "keep")).To(BeFalse(), "sync lists changes only: %s", r)
	g.Expect(r.Stdout).To(ContainSubstring("Synced: 1 created, 2 updated, 1 deleted, 2 unchanged, 1 conflicts"))
	expectNoSecrets(g, r)
	r = drSyncer(t, append(flagForm(ns), "plan", "--diff")...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("Plan: 0 to create, 0 to update, 0 to delete, 5 unchanged, 1 conflicts"))
	g.Expect(r.Stdout).NotTo(ContainSubstring("+++"))
	expectNoSecrets(g, r)
}

// TestPlanShowsAdmissionErrors: the plan asks the DR API server (server-side dry run), so an
// admission policy that would refuse an object shows up, with exit status 1.
func TestPlanShowsAdmissionErrors(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "admission")
	create(g, prod, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "fine", Namespace: ns}})
	g.Expect(drSyncer(t, append(flagForm(ns), "sync")...).Code).To(Equal(0))

	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "no-refused-" + ns},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
					Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
				}}}},
			Validations: []admissionv1.Validation{{Expression: "object.metadata.name != 'refused'", Message: "DR refuses ConfigMaps named refused"}},
		},
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "no-refused-" + ns},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policy.Name,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
			MatchResources: &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{corev1.LabelMetadataName: ns}}}},
	}
	create(g, dr, policy, binding)
	t.Cleanup(func() {
		_ = dr.Client.Delete(ctx, binding)
		_ = dr.Client.Delete(ctx, policy)
	})
	create(g, prod, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "refused", Namespace: ns}})

	g.Eventually(func(g Gomega) {
		r := drSyncer(t, append(flagForm(ns), "plan")...)
		g.Expect(r.Code).To(Equal(1), "%s", r)
		g.Expect(lines(r.Stdout, "failed", "ConfigMap", "refused")).To(ContainElement(ContainSubstring("DR refuses ConfigMaps named refused")))
		g.Expect(r.Err).To(MatchError(ContainSubstring("1 objects would fail")))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	g.Expect(missing(dr, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "refused", Namespace: ns}})).To(BeTrue())
}

// plainDigests are the unsalted SHA-256 of an object (hex, whole and as the 24 characters the
// engine used to store): what dr-syncer.io/desired-hash held before it left Secret data out.
func plainDigests(g Gomega, u *unstructured.Unstructured) []string {
	data, err := json.Marshal(u.Object)
	g.Expect(err).NotTo(HaveOccurred())
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	return []string{h, h[:24]}
}

// desiredFrom rebuilds the object the engine applied from its DR copy: the copy without what
// the server adds and without the hash annotation.
func desiredFrom(u *unstructured.Unstructured) *unstructured.Unstructured {
	c := u.DeepCopy()
	for _, f := range []string{"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"} {
		unstructured.RemoveNestedField(c.Object, "metadata", f)
	}
	unstructured.RemoveNestedField(c.Object, "metadata", "annotations", engine.AnnotationDesiredHash)
	if len(c.GetAnnotations()) == 0 {
		unstructured.RemoveNestedField(c.Object, "metadata", "annotations")
	}
	return c
}

// TestPlanNeverShowsSecretDigest: no output of plan --diff (table, JSON, YAML) or sync, and no
// annotation on the DR copy, holds a digest of a Secret's data that a guess could be checked
// against, nor the data itself; a change of the data alone is still found and synced.
func TestPlanNeverShowsSecretDigest(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "digest")
	values := []string{"hunter2-first-guess", "hunter3-second-guess"}
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: ns},
		Data: map[string][]byte{"password": []byte(values[0])}}
	create(g, prod, creds, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "plain", Namespace: ns}, Data: map[string]string{"k": "v"}})

	var outputs []result
	run := func(args ...string) result {
		r := drSyncer(t, append(flagForm(ns), args...)...)
		g.Expect(r.Code).NotTo(Equal(1), "%s", r)
		outputs = append(outputs, r)
		return r
	}
	r := run("plan", "--diff")
	g.Expect(row(r.Stdout, "create", "Secret", "creds")).To(BeTrue(), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("+    "+engine.AnnotationDesiredHash+": '***'\n"), "%s", r)
	run("plan", "--diff", "-o", "json")
	run("sync")

	// The rebuilt desired object is the one the engine hashed: its plain digest is what a
	// ConfigMap's copy carries.
	gvkSecret := schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
	cm := get(g, dr, gvkConfigMap, ns, "plain")
	g.Expect(plainDigests(g, desiredFrom(cm))).To(ContainElement(cm.GetAnnotations()[engine.AnnotationDesiredHash]),
		"the test's rebuild of the desired object is wrong: %v", cm.Object)
	secretCopy := get(g, dr, gvkSecret, ns, "creds")
	desired := desiredFrom(secretCopy)
	forbidden := plainDigests(g, desired)
	g.Expect(forbidden).NotTo(ContainElement(secretCopy.GetAnnotations()[engine.AnnotationDesiredHash]))
	stored := []string{secretCopy.GetAnnotations()[engine.AnnotationDesiredHash]}

	// Only the data changes: the plan finds it and shows no digest of either version.
	creds.Data["password"] = []byte(values[1])
	g.Expect(prod.Client.Update(ctx, creds)).To(Succeed())
	g.Expect(unstructured.SetNestedField(desired.Object, base64.StdEncoding.EncodeToString([]byte(values[1])), "data", "password")).To(Succeed())
	forbidden = append(forbidden, plainDigests(g, desired)...)
	r = run("plan", "--diff")
	g.Expect(row(r.Stdout, "update", "Secret", "creds")).To(BeTrue(), "%s", r)
	run("plan", "--diff", "-o", "json")
	run("plan", "--diff", "-o", "yaml")
	run("sync")
	secretCopy = get(g, dr, gvkSecret, ns, "creds")
	password, _, _ := unstructured.NestedString(secretCopy.Object, "data", "password")
	g.Expect(password).To(Equal(base64.StdEncoding.EncodeToString([]byte(values[1]))))
	g.Expect(forbidden).NotTo(ContainElement(secretCopy.GetAnnotations()[engine.AnnotationDesiredHash]))
	stored = append(stored, secretCopy.GetAnnotations()[engine.AnnotationDesiredHash])
	r = run("plan", "--diff", "-o", "json")
	g.Expect(r.Code).To(Equal(0), "a synced Secret plans as unchanged: %s", r)

	for _, r := range outputs {
		for _, v := range values {
			g.Expect(r.All()).NotTo(ContainSubstring(v))
			g.Expect(r.All()).NotTo(ContainSubstring(base64.StdEncoding.EncodeToString([]byte(v))))
		}
		for _, d := range append(forbidden, stored...) {
			g.Expect(r.All()).NotTo(ContainSubstring(d), "output shows a Secret digest: %s", r)
		}
	}
}
