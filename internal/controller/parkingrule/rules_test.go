package parkingrule

import (
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

func rule(name string, age time.Duration, kind string, spec drv1.ParkingRuleSpec) drv1.ParkingRule {
	spec.Group, spec.Kind = "example.com", kind
	return drv1.ParkingRule{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ops",
		CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(-age))}, Spec: spec}
}

func TestEvaluate(t *testing.T) {
	paused := drv1.ParkingRuleSpec{Fields: []drv1.ParkedField{{Path: "/spec/paused", ParkedValue: apiextensionsv1.JSON{Raw: []byte(`true`)}}}}
	stash := drv1.ParkingRuleSpec{Stash: true}
	bad := drv1.ParkingRuleSpec{Fields: []drv1.ParkedField{{Path: "spec", ParkedValue: apiextensionsv1.JSON{Raw: []byte(`1`)}}}}
	rules, verdicts := Evaluate([]drv1.ParkingRule{
		rule("newer", time.Minute, "Kafka", stash),
		rule("older", time.Hour, "Kafka", paused),
		rule("same-age-b", time.Hour, "Redis", stash),
		rule("same-age-a", time.Hour, "Redis", paused),
		rule("broken", 2*time.Hour, "Mongo", bad),
		rule("after-broken", time.Second, "Mongo", paused),
	})

	want := map[string]struct {
		inForce bool
		reason  string
		message string
	}{
		"older":        {true, drv1.ReasonRuleInForce, "parks Kafka.example.com by /spec/paused=true"},
		"newer":        {false, drv1.ReasonDuplicateRule, "ParkingRule older already parks Kafka.example.com"},
		"same-age-a":   {true, drv1.ReasonRuleInForce, "Redis"},
		"same-age-b":   {false, drv1.ReasonDuplicateRule, "ParkingRule same-age-a already parks"},
		"broken":       {false, drv1.ReasonInvalidSpec, "JSON pointer"},
		"after-broken": {true, drv1.ReasonRuleInForce, "Mongo"},
	}
	for name, w := range want {
		v := verdicts[name]
		if v.InForce != w.inForce || v.Reason != w.reason || !strings.Contains(v.Message, w.message) {
			t.Errorf("%s: %+v, want in force %v, %s, message with %q", name, v, w.inForce, w.reason, w.message)
		}
	}
	if len(rules) != 3 || rules[schema.GroupKind{Group: "example.com", Kind: "Kafka"}].Stash ||
		rules[schema.GroupKind{Group: "example.com", Kind: "Kafka"}].Name != "ops/older" {
		t.Errorf("rules in force: %v", rules)
	}
}

// TestEvaluateWarnsOfBuiltinParkingReplaced: a rule for a kind dr-syncer parks by itself says in
// its message that the built-in parking is no longer applied unless the rule sets that field too.
func TestEvaluateWarnsOfBuiltinParkingReplaced(t *testing.T) {
	annotationOnly := drv1.ParkingRuleSpec{Annotations: map[string]string{"example.com/off": "yes"}}
	replicas := drv1.ParkingRuleSpec{Fields: []drv1.ParkedField{{Path: "/spec/replicas", ParkedValue: apiextensionsv1.JSON{Raw: []byte(`0`)}}}}
	deploy, job, safe, custom := rule("deploy", time.Hour, "Deployment", annotationOnly), rule("job", time.Hour, "Job", annotationOnly),
		rule("safe", time.Hour, "StatefulSet", replicas), rule("custom", time.Hour, "Kafka", annotationOnly)
	deploy.Spec.Group, job.Spec.Group, safe.Spec.Group = "apps", "batch", "apps"
	_, verdicts := Evaluate([]drv1.ParkingRule{deploy, job, safe, custom})
	for name, want := range map[string]string{
		"deploy": "the built-in parking of Deployment.apps (/spec/replicas=0) is not applied: unless this rule stops them, its objects run in DR",
		"job":    "the built-in parking of Job.batch (/spec/suspend=true) is not applied",
	} {
		if v := verdicts[name]; !v.InForce || !strings.Contains(v.Message, want) {
			t.Errorf("%s: %+v, want a message with %q", name, v, want)
		}
	}
	for _, name := range []string{"safe", "custom"} {
		if v := verdicts[name]; !v.InForce || strings.Contains(v.Message, "not applied") {
			t.Errorf("%s: %+v, want no warning", name, v)
		}
	}
}
