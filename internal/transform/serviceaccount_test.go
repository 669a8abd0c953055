package transform

import "testing"

func TestToDestinationServiceAccount(t *testing.T) {
	runDestinationCases(t, []destinationCase{{
		name: "generated token secrets dropped, pull secrets kept",
		in: `
apiVersion: v1
kind: ServiceAccount
metadata: {name: app}
secrets: [{name: app-token-x7k2p}]
imagePullSecrets: [{name: registry}]
automountServiceAccountToken: false
`,
		want: `
apiVersion: v1
kind: ServiceAccount
metadata: {name: app}
imagePullSecrets: [{name: registry}]
automountServiceAccountToken: false
`,
	}})
}
