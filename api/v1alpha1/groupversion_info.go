// Package v1alpha1 holds the dr-syncer.io/v1alpha1 API: RemoteCluster (how to reach a cluster)
// and NamespaceMapping (which namespace is replicated where, and how).
// +kubebuilder:object:generate=true
// +groupName=dr-syncer.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of this API.
var GroupVersion = schema.GroupVersion{Group: "dr-syncer.io", Version: "v1alpha1"}

var (
	schemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme adds the types of this API to a scheme.
	AddToScheme = schemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&RemoteCluster{}, &RemoteClusterList{},
		&NamespaceMapping{}, &NamespaceMappingList{},
		&ParkingRule{}, &ParkingRuleList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
