package transform

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
)

func TestToDestinationRoleBinding(t *testing.T) {
	same := testOpts
	same.DestNamespace = "shop"
	noSource := testOpts
	noSource.SourceNamespace = ""

	const binding = `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: app}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: app}
subjects:
- {kind: ServiceAccount, name: app, namespace: shop}
- {kind: ServiceAccount, name: monitor, namespace: monitoring}
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
`
	runDestinationCases(t, []destinationCase{{
		name: "subjects of the source namespace follow it",
		in:   binding,
		want: `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: app}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: app}
subjects:
- {kind: ServiceAccount, name: app, namespace: shop-dr}
- {kind: ServiceAccount, name: monitor, namespace: monitoring}
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
`,
	}, {
		name: "an empty source namespace never matches subjects without one",
		opts: &noSource,
		in:   `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: app, annotations: {dr-syncer.io/source: prod//app}}, subjects: [{kind: User, name: alice}]}`,
		want: `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: app, annotations: {dr-syncer.io/source: prod//app}}, subjects: [{kind: User, name: alice}]}`,
	}, {
		name:    "garbled subjects are an error",
		in:      `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: app}, subjects: [x]}`,
		wantErr: "subjects[0]",
	}})

	t.Run("same namespace leaves subjects alone", func(t *testing.T) {
		out, err := toDestination(t, parse(t, binding), same)
		if err != nil {
			t.Fatal(err)
		}
		want := parse(t, binding).Object["subjects"]
		if got := out.Object["subjects"]; !equality.Semantic.DeepEqual(got, want) {
			t.Errorf("subjects = %v, want %v", got, want)
		}
	})
}
