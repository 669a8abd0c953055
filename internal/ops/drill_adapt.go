package ops

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// externalDNSPrefix starts the annotations external-dns reads: a drill copy with them would
// publish production's DNS names for the drill's Services.
const externalDNSPrefix = "external-dns.alpha.kubernetes.io/"

// unpublishedKinds are the kinds a drill never creates, with why: most would publish
// production's names from the drill (Ingresses, the Gateway API's Gateways and routes, mesh and
// proxy routes, cert-manager's ACME orders, external-dns records), the others belong to the DR
// cluster's own controllers or would act for production (alerts, snapshots, leases).
var unpublishedKinds = map[schema.GroupKind]string{
	{Group: "networking.k8s.io", Kind: "Ingress"}:                "its hosts would be published by the DR cluster's ingress controller",
	{Group: "gateway.networking.k8s.io", Kind: "Gateway"}:        "it would claim production's listeners and addresses",
	{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"}:      "its hostnames would be routed by the DR cluster's gateway",
	{Group: "gateway.networking.k8s.io", Kind: "GRPCRoute"}:      "its hostnames would be routed by the DR cluster's gateway",
	{Group: "gateway.networking.k8s.io", Kind: "TLSRoute"}:       "its hostnames would be routed by the DR cluster's gateway",
	{Group: "gateway.networking.k8s.io", Kind: "TCPRoute"}:       "it would be routed by the DR cluster's gateway",
	{Group: "gateway.networking.k8s.io", Kind: "UDPRoute"}:       "it would be routed by the DR cluster's gateway",
	{Group: "cert-manager.io", Kind: "Certificate"}:              "it would order certificates for production's names",
	{Group: "cert-manager.io", Kind: "CertificateRequest"}:       "it would order certificates for production's names",
	{Group: "acme.cert-manager.io", Kind: "Order"}:               "it would order certificates for production's names",
	{Group: "acme.cert-manager.io", Kind: "Challenge"}:           "it would answer ACME challenges for production's names",
	{Group: "externaldns.k8s.io", Kind: "DNSEndpoint"}:           "it would publish production's DNS records",
	{Group: "monitoring.coreos.com", Kind: "PrometheusRule"}:     "its alerts would page for the drill",
	{Group: "monitoring.coreos.com", Kind: "AlertmanagerConfig"}: "it would route the drill's alerts like production's",
	{Group: "networking.istio.io", Kind: "Gateway"}:              "it would claim production's hosts",
	{Group: "networking.istio.io", Kind: "VirtualService"}:       "its hosts would be routed by the DR cluster's mesh",
	{Group: "traefik.io", Kind: "IngressRoute"}:                  "its hosts would be published by the DR cluster's Traefik",
	{Group: "projectcontour.io", Kind: "HTTPProxy"}:              "its hosts would be published by the DR cluster's Contour",
	{Group: "getambassador.io", Kind: "Mapping"}:                 "its hosts would be published by the DR cluster's Emissary",
	{Group: "discovery.k8s.io", Kind: "EndpointSlice"}:           "the DR cluster's endpoint controller writes its own",
	{Group: "", Kind: "Endpoints"}:                               "the DR cluster's endpoint controller writes its own",
	{Group: "coordination.k8s.io", Kind: "Lease"}:                "a lease of production's would be taken over",
	{Group: "", Kind: "Event"}:                                   "events are not part of the standby image",
	{Group: "events.k8s.io", Kind: "Event"}:                      "events are not part of the standby image",
	{Group: "apps", Kind: "ControllerRevision"}:                  "the DR cluster's controllers write their own",
	{Group: "", Kind: "Pod"}:                                     "Pods are made by the drill's workloads",
	{Group: "snapshot.storage.k8s.io", Kind: "VolumeSnapshot"}:   "it would snapshot volumes in the drill",
}

// droppedMetadata are the metadata fields of a DR object that describe it, not what to create.
var droppedMetadata = []string{"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
	"ownerReferences", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "finalizers", "generateName"}

// pvcBindAnnotations bind a PersistentVolumeClaim to its volume: the drill's claim gets a volume
// of its own.
var pvcBindAnnotations = []string{"pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller",
	"volume.kubernetes.io/selected-node", "volume.beta.kubernetes.io/storage-provisioner", "volume.kubernetes.io/storage-provisioner"}

// adaptForDrill turns a DR copy into the object a drill creates in the scratch namespace drillNS
// (the copy of DR namespace drNS). It returns nil and the reason when the drill must not create
// it at all, and otherwise the notes of what it changed that the report lists. The copy keeps
// its parked state and its dr-syncer records (activation reads them), loses the label
// dr-syncer.io/mapping (no sync, prune or cutover ever counts it) and gains
// dr-syncer.io/drill-of=<drNS>.
func adaptForDrill(obj *unstructured.Unstructured, drNS, drillNS string) (out *unstructured.Unstructured, notes []string, skip string) {
	gk := obj.GroupVersionKind().GroupKind()
	what := obj.GetKind() + " " + obj.GetName()
	if why := unpublishedKinds[gk]; why != "" {
		return nil, nil, what + " not created: " + why
	}
	out = obj.DeepCopy()
	for _, f := range droppedMetadata {
		unstructured.RemoveNestedField(out.Object, "metadata", f)
	}
	delete(out.Object, "status")
	out.SetNamespace(drillNS)
	labels := out.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	delete(labels, drv1.LabelMapping)
	labels[drv1.LabelDrillOf] = drNS
	out.SetLabels(labels)
	if anns := out.GetAnnotations(); anns != nil {
		var dropped []string
		for k := range anns {
			if strings.HasPrefix(k, externalDNSPrefix) {
				dropped = append(dropped, k)
				delete(anns, k)
			}
		}
		if len(dropped) > 0 {
			slices.Sort(dropped)
			notes = append(notes, what+": annotations "+strings.Join(dropped, ", ")+" dropped (external-dns would publish production's names)")
		}
		out.SetAnnotations(anns)
	}
	switch gk {
	case schema.GroupKind{Kind: "Secret"}:
		if t, _, _ := unstructured.NestedString(out.Object, "type"); t == "kubernetes.io/service-account-token" {
			return nil, nil, what + " not created: the DR cluster issues service account tokens itself"
		}
	case schema.GroupKind{Kind: "Service"}:
		notes = append(notes, adaptService(out, what)...)
	case schema.GroupKind{Group: "batch", Kind: "Job"}:
		// The DR copy carries the selector the DR API server generated for it (its UID): a new
		// Job may not.
		if err := transform.DropGeneratedJobSelector(out); err != nil {
			return nil, nil, what + " not created: " + err.Error()
		}
	case schema.GroupKind{Kind: "PersistentVolumeClaim"}:
		unstructured.RemoveNestedField(out.Object, "spec", "volumeName")
		anns := out.GetAnnotations()
		for _, a := range pvcBindAnnotations {
			delete(anns, a)
		}
		out.SetAnnotations(anns)
		notes = append(notes, what+": a new, empty volume (the DR namespace's volume stays bound to it)")
	case schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:
		subjects, _, _ := unstructured.NestedSlice(out.Object, "subjects")
		for _, s := range subjects {
			if m, ok := s.(map[string]any); ok && m["namespace"] == drNS {
				m["namespace"] = drillNS
			}
		}
		if subjects != nil {
			_ = unstructured.SetNestedSlice(out.Object, subjects, "subjects")
		}
	}
	return out, notes, ""
}

// adaptService keeps a Service from claiming what the DR namespace's Service or production
// holds: its cluster IPs (assigned anew; a headless Service stays headless), fixed node ports
// (dropped), a load balancer (a ClusterIP Service instead) and external IPs (dropped).
func adaptService(out *unstructured.Unstructured, what string) []string {
	var notes []string
	spec, _, _ := unstructured.NestedMap(out.Object, "spec")
	if spec == nil {
		return nil
	}
	if ip, _ := spec["clusterIP"].(string); ip != "None" {
		delete(spec, "clusterIP")
		delete(spec, "clusterIPs")
	}
	typ, _ := spec["type"].(string)
	if typ == "LoadBalancer" {
		spec["type"] = "ClusterIP"
		for _, f := range []string{"loadBalancerIP", "loadBalancerSourceRanges", "loadBalancerClass", "externalTrafficPolicy",
			"healthCheckNodePort", "allocateLoadBalancerNodePorts"} {
			delete(spec, f)
		}
		notes = append(notes, what+": type LoadBalancer created as ClusterIP (no load balancer, no address of production's)")
	}
	if ports, ok := spec["ports"].([]any); ok {
		var fixed []string
		for _, p := range ports {
			if m, ok := p.(map[string]any); ok {
				if np, found := m["nodePort"]; found {
					fixed = append(fixed, fmt.Sprint(np))
					delete(m, "nodePort")
				}
			}
		}
		if len(fixed) > 0 && typ == "NodePort" {
			notes = append(notes, what+": fixed nodePorts "+strings.Join(fixed, ", ")+" dropped (the DR namespace's Service holds them; new ones are assigned)")
		}
	}
	if ips, ok := spec["externalIPs"].([]any); ok && len(ips) > 0 {
		delete(spec, "externalIPs")
		notes = append(notes, what+": externalIPs dropped (they are production's addresses)")
	}
	_ = unstructured.SetNestedMap(out.Object, spec, "spec")
	return notes
}
