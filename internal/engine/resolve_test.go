package engine

import (
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	fakediscovery "k8s.io/client-go/discovery/fake"
	clienttesting "k8s.io/client-go/testing"
)

// served is a discovery document: pure data, so a fake discovery serves it.
func served() *fakediscovery.FakeDiscovery {
	rw := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	res := func(name, kind string, namespaced bool, verbs ...string) metav1.APIResource {
		if verbs == nil {
			verbs = rw
		}
		return metav1.APIResource{Name: name, Kind: kind, Namespaced: namespaced, Verbs: verbs}
	}
	return &fakediscovery.FakeDiscovery{Fake: &clienttesting.Fake{Resources: []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{
			res("configmaps", "ConfigMap", true), res("secrets", "Secret", true), res("pods", "Pod", true),
			res("pods/log", "Pod", true), res("events", "Event", true), res("namespaces", "Namespace", false),
			res("serviceaccounts", "ServiceAccount", true), res("bindings", "Binding", true, "create"),
		}},
		{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{
			res("deployments", "Deployment", true), res("replicasets", "ReplicaSet", true),
		}},
		{GroupVersion: "batch/v1", APIResources: []metav1.APIResource{res("jobs", "Job", true), res("cronjobs", "CronJob", true)}},
		{GroupVersion: "events.k8s.io/v1", APIResources: []metav1.APIResource{res("events", "Event", true)}},
		{GroupVersion: "authorization.k8s.io/v1", APIResources: []metav1.APIResource{
			res("localsubjectaccessreviews", "LocalSubjectAccessReview", true, "create"),
		}},
		{GroupVersion: "example.com/v1", APIResources: []metav1.APIResource{res("widgets", "Widget", true)}},
	}}}
}

func names(r *Resolution) []string {
	out := make([]string, 0, len(r.Types))
	for _, t := range r.Types {
		out = append(out, t.String())
	}
	return out
}

func TestResolveTypes(t *testing.T) {
	cases := []struct {
		name             string
		include, exclude []string
		want             []string
		unresolved       []string
	}{
		{"wildcard skips runtime state, Jobs and request kinds", nil, nil,
			[]string{"configmaps", "cronjobs.batch", "deployments.apps", "secrets", "serviceaccounts", "widgets.example.com"}, nil},
		{"kind, plural and group-qualified, any case", []string{"ConfigMap", "deployments", "CRONJOBS.BATCH", "widget"}, nil,
			[]string{"configmaps", "cronjobs.batch", "deployments.apps", "widgets.example.com"}, nil},
		{"jobs only when named", []string{"*", "jobs"}, nil,
			[]string{"configmaps", "cronjobs.batch", "deployments.apps", "jobs.batch", "secrets", "serviceaccounts", "widgets.example.com"}, nil},
		{"exclusions subtract in every form", []string{"*"}, []string{"Secret", "deployments.apps", "widgets.example.com"},
			[]string{"configmaps", "cronjobs.batch", "serviceaccounts"}, nil},
		{"a bare name served by two groups means the core one", []string{"events"}, nil, []string{"events"}, nil},
		{"unknown names are reported, the rest resolves", []string{"configmaps", "gadgets.nowhere.io", "Frobnicator"}, nil,
			[]string{"configmaps"}, []string{"gadgets.nowhere.io", "Frobnicator"}},
		{"cluster-scoped kinds never resolve", []string{"namespaces"}, nil, nil, []string{"namespaces"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := ResolveTypes(served(), c.include, c.exclude)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(r); !slices.Equal(got, c.want) {
				t.Errorf("types = %v, want %v", got, c.want)
			}
			if !slices.Equal(r.Unresolved, c.unresolved) {
				t.Errorf("unresolved = %v, want %v", r.Unresolved, c.unresolved)
			}
		})
	}
}

func TestPhaseOrder(t *testing.T) {
	r, err := ResolveTypes(served(), []string{"*"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for _, ty := range r.Types {
		byName[ty.String()] = phase(ty)
	}
	order := []string{"configmaps", "deployments.apps", "widgets.example.com"}
	for i := 1; i < len(order); i++ {
		if byName[order[i-1]] >= byName[order[i]] {
			t.Errorf("%s (phase %d) must apply before %s (phase %d)", order[i-1], byName[order[i-1]], order[i], byName[order[i]])
		}
	}
}

func TestMappingIDIsALabelValue(t *testing.T) {
	for _, id := range []string{
		MappingID("dr-syncer-system", "orders"),
		MappingID(strings.Repeat("n", 63), strings.Repeat("m", 253)),
	} {
		if errs := validation.IsValidLabelValue(id); len(errs) > 0 {
			t.Errorf("%q: %v", id, errs)
		}
	}
	long1 := MappingID("ns", strings.Repeat("a", 100)+"1")
	long2 := MappingID("ns", strings.Repeat("a", 100)+"2")
	if long1 == long2 {
		t.Errorf("long names that differ must give different IDs: %q", long1)
	}
}

func TestResolveTypesClosest(t *testing.T) {
	r, err := ResolveTypes(served(), []string{"Deploymnet", "configmap", "cronjob.btach", "Frobnicator"}, []string{"Secrts", "widgets"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Deploymnet", "cronjob.btach", "Frobnicator"}; !slices.Equal(r.Unresolved, want) {
		t.Errorf("unresolved = %v, want %v", r.Unresolved, want)
	}
	if want := []string{"Secrts"}; !slices.Equal(r.UnresolvedExclude, want) {
		t.Errorf("unresolved exclusions = %v, want %v", r.UnresolvedExclude, want)
	}
	want := map[string]string{"Deploymnet": "Deployment", "cronjob.btach": "cronjobs.batch", "Secrts": "secrets"}
	if len(r.Closest) != len(want) {
		t.Errorf("closest = %v, want %v", r.Closest, want)
	}
	for k, v := range want {
		if r.Closest[k] != v {
			t.Errorf("closest[%q] = %q, want %q", k, r.Closest[k], v)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"deploymnet", "deployment", 2}, {"kitten", "sitting", 3}} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
