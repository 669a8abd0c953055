package transform

import (
	"encoding/json"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

var (
	gkKafka = schema.GroupKind{Group: "kafka.example.com", Kind: "KafkaCluster"}
	// kafkaRule pauses a KafkaCluster by a spec field and an annotation.
	kafkaRule = &Rule{Name: "ops/kafka", Fields: []RuleField{{Path: "/spec/paused", Parked: json.RawMessage(`true`)}},
		Annotations: map[string]string{"kafka.example.com/reconcile": "off"}}
	// deploymentRule replaces the built-in parking of Deployments.
	deploymentRule = &Rule{Name: "ops/deploy", Fields: []RuleField{{Path: "/spec/template/spec/nodeSelector", Parked: json.RawMessage(`{"parked": "yes"}`)}}}
)

func rulesOpts(rules map[schema.GroupKind]*Rule) *Options {
	o := testOpts
	o.Rules = rules
	return &o
}

func TestToDestinationRules(t *testing.T) {
	rules := rulesOpts(map[schema.GroupKind]*Rule{gkKafka: kafkaRule, gkDeployment: deploymentRule})
	runDestinationCases(t, []destinationCase{{
		name: "fields and annotations set, originals recorded, an absent field as absent",
		opts: rules,
		in:   `{apiVersion: kafka.example.com/v1, kind: KafkaCluster, metadata: {name: k}, spec: {paused: false, brokers: 3}}`,
		want: `
apiVersion: kafka.example.com/v1
kind: KafkaCluster
metadata:
  name: k
  annotations:
    kafka.example.com/reconcile: "off"
    dr-syncer.io/original-fields: '[{"path":"/metadata/annotations/kafka.example.com~1reconcile","parked":"off","absent":true},{"path":"/spec/paused","parked":true,"original":false}]'
spec: {paused: true, brokers: 3}
`,
	}, {
		name: "a rule replaces the built-in parking of its kind: replicas stay, no original-replicas",
		opts: rules,
		in:   `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 3, template: {spec: {nodeSelector: {os: linux}}}}}`,
		want: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    dr-syncer.io/original-fields: '[{"path":"/spec/template/spec/nodeSelector","parked":{"parked":"yes"},"original":{"os":"linux"}}]'
spec: {replicas: 3, template: {spec: {nodeSelector: {parked: "yes"}}}}
`,
	}, {
		name: "a kind without a rule keeps its built-in parking",
		opts: rules,
		in:   `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db}, spec: {replicas: 2}}`,
		want: `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db, annotations: {dr-syncer.io/original-replicas: "2"}}, spec: {replicas: 0}}`,
	}, {
		name:    "a path through a value that is not an object is an error naming it",
		opts:    rules,
		in:      `{apiVersion: kafka.example.com/v1, kind: KafkaCluster, metadata: {name: k}, spec: "flat"}`,
		wantErr: "/spec",
	}, {
		name:    "a stashed kind has no parked form",
		opts:    rulesOpts(map[schema.GroupKind]*Rule{gkKafka: {Name: "ops/stash", Stash: true}}),
		in:      `{apiVersion: kafka.example.com/v1, kind: KafkaCluster, metadata: {name: k}}`,
		wantErr: "stashes",
	}, {
		name: "a source copy of the record is not trusted",
		in:   `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, annotations: {dr-syncer.io/original-fields: '[{"path":"/data/x","parked":"1","original":"2"}]'}}}`,
		want: `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}`,
	}})
}

// TestRuleParkingRoundTrip: cutover and failback need nothing but the object.
func TestRuleParkingRoundTrip(t *testing.T) {
	opts := *rulesOpts(map[schema.GroupKind]*Rule{gkKafka: kafkaRule})
	src := parse(t, `{apiVersion: kafka.example.com/v1, kind: KafkaCluster, metadata: {name: k, annotations: {kafka.example.com/reconcile: "on"}}, spec: {brokers: 3}}`)
	standby, err := ToDestination(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	state := func(obj *unstructured.Unstructured) (any, string) {
		v, _, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "paused")
		return v, obj.GetAnnotations()["kafka.example.com/reconcile"]
	}
	expect := func(step string, obj *unstructured.Unstructured, paused any, reconcile string) {
		t.Helper()
		if p, r := state(obj); !equality.Semantic.DeepEqual(p, paused) || r != reconcile {
			t.Errorf("%s: paused=%v reconcile=%q, want %v %q", step, p, r, paused, reconcile)
		}
	}
	expect("standby", standby, true, "off")
	record := standby.GetAnnotations()[drv1.AnnotationOriginalFields]

	active, changed := activateOrPark(t, Activate, standby)
	if !changed {
		t.Fatal("activate: changed = false")
	}
	expect("activate", active, nil, "on")
	if _, changed := activateOrPark(t, Activate, active); changed {
		t.Error("second activate changed something")
	}

	// Live in DR, someone sets paused=false: failback records that, not the old original.
	if err := unstructured.SetNestedField(active.Object, false, "spec", "paused"); err != nil {
		t.Fatal(err)
	}
	parked, changed := activateOrPark(t, Park, active)
	if !changed {
		t.Fatal("park: changed = false")
	}
	expect("park", parked, true, "off")
	if got := parked.GetAnnotations()[drv1.AnnotationOriginalFields]; got == record || !strings.Contains(got, `"original":false`) {
		t.Errorf("park recorded %s; want the live value false", got)
	}
	if _, changed := activateOrPark(t, Park, parked); changed {
		t.Error("second park changed something")
	}
	again, _ := activateOrPark(t, Activate, parked)
	expect("activate after failback", again, false, "on")
}

func TestRuleRecordGarbled(t *testing.T) {
	for _, value := range []string{`{`, `[]`, `[{"path":"spec"}]`, `[{"path":"/spec/x","original":"x","parked":1}, {"path":"/spec/x"}]`} {
		in := parse(t, `{apiVersion: example.com/v1, kind: Thing, metadata: {name: t}, spec: {x: 1}}`)
		in.SetAnnotations(map[string]string{drv1.AnnotationOriginalFields: value})
		if _, _, err := Activate(in); err == nil || !strings.Contains(err.Error(), drv1.AnnotationOriginalFields) && !strings.Contains(err.Error(), "path") {
			t.Errorf("%s: error = %v, want one about the record", value, err)
		}
	}
}

func TestRuleFromSpec(t *testing.T) {
	cases := []struct {
		name    string
		spec    drv1.ParkingRuleSpec
		wantErr string
	}{
		{"field", drv1.ParkingRuleSpec{Kind: "K", Fields: []drv1.ParkedField{{Path: "/spec/a~1b", ParkedValue: rawJSON(`{"x":1}`)}}}, ""},
		{"not a pointer", drv1.ParkingRuleSpec{Kind: "K", Fields: []drv1.ParkedField{{Path: "spec/a", ParkedValue: rawJSON(`1`)}}}, "JSON pointer"},
		{"metadata", drv1.ParkingRuleSpec{Kind: "K", Fields: []drv1.ParkedField{{Path: "/metadata/labels", ParkedValue: rawJSON(`{}`)}}}, "metadata"},
		{"null", drv1.ParkingRuleSpec{Kind: "K", Fields: []drv1.ParkedField{{Path: "/spec/a", ParkedValue: rawJSON(`null`)}}}, "null"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := RuleFromSpec("ns/r", &tc.spec)
			if tc.wantErr == "" {
				if err != nil || len(r.Fields) != 1 {
					t.Fatalf("RuleFromSpec = %v, %v", r, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestToDestinationParkNetworking(t *testing.T) {
	on := testOpts
	on.ParkNetworking = true
	runDestinationCases(t, []destinationCase{{
		name: "ingress gets the parked class and external-dns's controller annotation",
		opts: &on,
		in:   `{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: web}, spec: {ingressClassName: nginx}}`,
		want: `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    external-dns.alpha.kubernetes.io/controller: dr-syncer-parked
    dr-syncer.io/original-fields: '[{"path":"/metadata/annotations/external-dns.alpha.kubernetes.io~1controller","parked":"dr-syncer-parked","absent":true},{"path":"/spec/ingressClassName","parked":"dr-syncer-parked","original":"nginx"}]'
spec: {ingressClassName: dr-syncer-parked}
`,
	}, {
		name: "ingress with the legacy class annotation is parked there",
		opts: &on,
		in:   `{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: web, annotations: {kubernetes.io/ingress.class: nginx}}, spec: {}}`,
		want: `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    kubernetes.io/ingress.class: dr-syncer-parked
    external-dns.alpha.kubernetes.io/controller: dr-syncer-parked
    dr-syncer.io/original-fields: '[{"path":"/metadata/annotations/external-dns.alpha.kubernetes.io~1controller","parked":"dr-syncer-parked","absent":true},{"path":"/metadata/annotations/kubernetes.io~1ingress.class","parked":"dr-syncer-parked","original":"nginx"}]'
spec: {}
`,
	}, {
		name: "load balancer becomes ClusterIP without its load-balancer fields and node ports",
		opts: &on,
		in:   `{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: LoadBalancer, externalTrafficPolicy: Local, loadBalancerClass: lb, ports: [{port: 80, protocol: TCP}]}}`,
		want: `
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    external-dns.alpha.kubernetes.io/controller: dr-syncer-parked
    dr-syncer.io/original-fields: '[{"path":"/metadata/annotations/external-dns.alpha.kubernetes.io~1controller","parked":"dr-syncer-parked","absent":true},{"path":"/spec/externalTrafficPolicy","original":"Local"},{"path":"/spec/loadBalancerClass","original":"lb"},{"path":"/spec/type","parked":"ClusterIP","original":"LoadBalancer"}]'
spec: {type: ClusterIP, ports: [{port: 80, protocol: TCP}]}
`,
	}, {
		name: "a ClusterIP Service is left alone",
		opts: &on,
		in:   `{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: ClusterIP, ports: [{port: 80}]}}`,
		want: `{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: ClusterIP, ports: [{port: 80}]}}`,
	}, {
		name: "off by default",
		in:   `{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: web}, spec: {ingressClassName: nginx}}`,
		want: `{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: web}, spec: {ingressClassName: nginx}}`,
	}})
}

func TestParkNetworkingRoundTrip(t *testing.T) {
	on := testOpts
	on.ParkNetworking = true
	// No managedFields: the source's node port is kept, and must come back at cutover.
	src := parse(t, `{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: LoadBalancer, ports: [{port: 80, protocol: TCP, nodePort: 30080}]}}`)
	standby, err := ToDestination(src, on)
	if err != nil {
		t.Fatal(err)
	}
	if typ, _, _ := unstructured.NestedString(standby.Object, "spec", "type"); typ != "ClusterIP" {
		t.Fatalf("standby type %q", typ)
	}
	active, changed := activateOrPark(t, Activate, standby)
	if !changed {
		t.Fatal("activate: changed = false")
	}
	want := parse(t, `{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: LoadBalancer, ports: [{port: 80, protocol: TCP, nodePort: 30080}]}}`)
	if !equality.Semantic.DeepEqual(active.Object["spec"], want.Object["spec"]) {
		t.Errorf("activated spec %v, want %v", active.Object["spec"], want.Object["spec"])
	}
	if _, ok := active.GetAnnotations()[ExternalDNSControllerAnnotation]; ok {
		t.Error("external-dns annotation kept after activation")
	}
	parked, _ := activateOrPark(t, Park, active)
	if !equality.Semantic.DeepEqual(parked.Object["spec"], standby.Object["spec"]) {
		t.Errorf("re-parked spec %v, want %v", parked.Object["spec"], standby.Object["spec"])
	}
}

func rawJSON(s string) apiextensionsv1.JSON { return apiextensionsv1.JSON{Raw: []byte(s)} }
