package transform

import "testing"

func TestToDestinationService(t *testing.T) {
	runDestinationCases(t, []destinationCase{{
		name: "allocated addresses dropped, policy and nodePorts kept",
		in: `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
	type: LoadBalancer
	clusterIP: 10.0.0.12
	clusterIPs: [10.0.0.12]
	ipFamilies: [IPv4]
	ipFamilyPolicy: SingleStack
	healthCheckNodePort: 31000
	externalTrafficPolicy: Local
	ports:
	- {name: http, port: 80, targetPort: 8080, nodePort: 30080}
	selector: {app: web}
status: {loadBalancer: {ingress: [{ip: 1.2.3.4}]}}
`,
		want: `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
	type: LoadBalancer
	ipFamilyPolicy: SingleStack
	externalTrafficPolicy: Local
	ports:
	- {name: http, port: 80, targetPort: 8080, nodePort: 30080}
	selector: {app: web}
`,
	}, {
		name: "headless stays headless",
		in: `
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, clusterIPs: [None], ipFamilies: [IPv4], ipFamilyPolicy: SingleStack, ports: [{port: 5432}]}
`,
		want: `
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, clusterIPs: [None], ipFamilyPolicy: SingleStack, ports: [{port: 5432}]}
`,
	}, {
		name: "headless without clusterIPs gets them",
		in:   `{apiVersion: v1, kind: Service, metadata: {name: db}, spec: {clusterIP: None}}`,
		want: `{apiVersion: v1, kind: Service, metadata: {name: db}, spec: {clusterIP: None, clusterIPs: [None]}}`,
	}, {
		name: "ExternalName gets the same rules",
		in:   `{apiVersion: v1, kind: Service, metadata: {name: ext}, spec: {type: ExternalName, externalName: db.example.com, clusterIP: ""}}`,
		want: `{apiVersion: v1, kind: Service, metadata: {name: ext}, spec: {type: ExternalName, externalName: db.example.com}}`,
	}, {
		name:    "clusterIP of the wrong type is an error",
		in:      `{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {clusterIP: 5}}`,
		wantErr: "clusterIP",
	}})
}
