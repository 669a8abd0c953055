package cli_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestPlanShowsDriftAfterAHandEdit: after `kubectl scale` of a DR Deployment and an edit of a DR
// ConfigMap, plan (a new process: nothing remembered, every object confirmed by a dry run) shows
// two update rows that revert a hand edit and exits 2, never "failed"; cutover --dry-run warns of
// no failed object. The mapping form runs the same plan.
func TestPlanShowsDriftAfterAHandEdit(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(g, prod, "drift")
	create(g, prod, workloads(ns)...)
	create(g, prod, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}, Data: map[string]string{"mode": "prod"}})
	mapping(g, ns, ns)
	byMapping := []string{"--mapping", controllerNS + "/" + ns, "--kubeconfig", kubeconfigs["prod"]}
	r := drSyncer(t, append([]string{"sync"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)

	dep := get(g, dr, gvkDeployment, ns, "web")
	g.Expect(unstructured.SetNestedField(dep.Object, int64(3), "spec", "replicas")).To(Succeed())
	g.Expect(dr.Client.Update(ctx, dep, client.FieldOwner("kubectl"))).To(Succeed())
	cm := &corev1.ConfigMap{}
	g.Expect(dr.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm)).To(Succeed())
	cm.Data["mode"] = "hand-edited"
	g.Expect(dr.Client.Update(ctx, cm, client.FieldOwner("kubectl-edit"))).To(Succeed())

	r = drSyncer(t, append([]string{"plan", "--diff"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(2), "%s", r)
	g.Expect(r.Stdout).NotTo(ContainSubstring("failed  "), "%s", r)
	g.Expect(r.Stdout).To(MatchRegexp(`(?m)^update\s+Deployment\s+web\s+.*reverts a hand edit in DR`))
	g.Expect(r.Stdout).To(MatchRegexp(`(?m)^update\s+ConfigMap\s+settings\s+.*reverts a hand edit in DR`))
	g.Expect(r.Stdout).To(ContainSubstring("Plan: 0 to create, 2 to update, 0 to delete"))
	g.Expect(r.Stdout).To(ContainSubstring("0 failed"))
	g.Expect(r.Stdout).To(ContainSubstring("-  mode: hand-edited"))

	r = drSyncer(t, append([]string{"cutover", "--dry-run"}, byMapping...)...)
	g.Expect(r.Code).To(Equal(0), "%s", r)
	g.Expect(r.Stdout).NotTo(ContainSubstring("objects failed"), "%s", r)
	g.Expect(r.Stdout).To(ContainSubstring("Plan: 0 to create, 2 to update, 0 to delete"))
}
