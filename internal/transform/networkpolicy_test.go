package transform

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
)

func TestToDestinationNetworkPolicy(t *testing.T) {
	same := testOpts
	same.DestNamespace = "shop"
	const policy = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
	podSelector: {matchLabels: {app: web}}
	ingress:
	- from:
		- namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
		- namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
		- namespaceSelector: {matchLabels: {team: shop}}
		- podSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
		- namespaceSelector:
				matchExpressions:
				- {key: kubernetes.io/metadata.name, operator: In, values: [shop, ingress]}
				- {key: team, operator: In, values: [shop]}
	egress:
	- to:
		- namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}, matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [shop]}]}
		- ipBlock: {cidr: 10.0.0.0/8}
	- ports: [{port: 53, protocol: UDP}]
`
	runDestinationCases(t, []destinationCase{{
		name: "selectors of the source namespace by name follow the rename; others stay",
		in:   policy,
		want: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
	podSelector: {matchLabels: {app: web}}
	ingress:
	- from:
		- namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop-dr}}
		- namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
		- namespaceSelector: {matchLabels: {team: shop}}
		- podSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
		- namespaceSelector:
				matchExpressions:
				- {key: kubernetes.io/metadata.name, operator: In, values: [shop-dr, ingress]}
				- {key: team, operator: In, values: [shop]}
	egress:
	- to:
		- namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop-dr}, matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [shop-dr]}]}
		- ipBlock: {cidr: 10.0.0.0/8}
	- ports: [{port: 53, protocol: UDP}]
`,
	}, {
		name:    "a rule that is not an object is an error",
		in:      `{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: web}, spec: {ingress: [allow]}}`,
		wantErr: "spec.ingress[0]",
	}})

	t.Run("same namespace leaves selectors alone", func(t *testing.T) {
		out, err := toDestination(t, parse(t, policy), same)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := out.Object["spec"], parse(t, policy).Object["spec"]; !equality.Semantic.DeepEqual(got, want) {
			t.Errorf("spec = %v, want %v", got, want)
		}
	})
}
