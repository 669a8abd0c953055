package transform

import "testing"

func TestToDestinationService(t *testing.T) {
	runDestinationCases(t, []destinationCase{{
		name: "allocated addresses dropped, policy kept; without managedFields nodePorts are kept",
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
		name: "node ports the API server allocated are dropped, those a manager set are kept",
		in: `
apiVersion: v1
kind: Service
metadata:
	name: web
	managedFields:
	- manager: kubectl
		operation: Update
		fieldsType: FieldsV1
		fieldsV1:
			f:spec:
				f:type: {}
				f:ports:
					.: {}
					'k:{"port":80,"protocol":"TCP"}': {.: {}, f:port: {}, f:nodePort: {}}
					'k:{"port":443,"protocol":"TCP"}': {.: {}, f:port: {}}
					'k:{"port":53,"protocol":"UDP"}': {.: {}, f:port: {}}
	- manager: helm
		operation: Apply
		fieldsType: FieldsV1
		fieldsV1: {f:spec: {f:ports: {'k:{"port":53,"protocol":"UDP"}': {f:nodePort: {}}}}}
spec:
	type: NodePort
	ports:
	- {port: 80, nodePort: 30080}
	- {port: 443, protocol: TCP, nodePort: 31443}
	- {port: 53, protocol: UDP, nodePort: 30053}
	- {port: 53, protocol: TCP, nodePort: 31053}
`,
		want: `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
	type: NodePort
	ports:
	- {port: 80, nodePort: 30080}
	- {port: 443, protocol: TCP}
	- {port: 53, protocol: UDP, nodePort: 30053}
	- {port: 53, protocol: TCP}
`,
	}, {
		name: "a healthCheckNodePort a manager set is kept",
		in: `
apiVersion: v1
kind: Service
metadata:
	name: lb
	managedFields:
	- {manager: kubectl, operation: Update, fieldsType: FieldsV1, fieldsV1: {f:spec: {f:healthCheckNodePort: {}}}}
spec: {type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: 31000, ports: [{port: 80, nodePort: 30081}]}
`,
		want: `
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: 31000, ports: [{port: 80}]}
`,
	}, {
		name: "garbled managedFields are an error",
		in: `
apiVersion: v1
kind: Service
metadata:
	name: web
	managedFields:
	- {manager: x, operation: Update, fieldsType: FieldsV1, fieldsV1: {f:spec: {f:ports: {'k:{port}': {f:nodePort: {}}}}}}
spec: {ports: [{port: 80, nodePort: 30080}]}
`,
		wantErr: "managedFields of x",
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
