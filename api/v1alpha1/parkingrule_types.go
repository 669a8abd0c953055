package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ParkedField is one field a ParkingRule sets while an object is parked in DR.
type ParkedField struct {
	// path is a JSON pointer (RFC 6901) to the field, such as /spec/paused or
	// /spec/template/spec/replicas ("~1" stands for "/" and "~0" for "~" in a field name). It
	// may not point into metadata (use annotations), status, apiVersion or kind, nor into a
	// list by index.
	// +required
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.matches('^(/([^/~]|~[01])+)+$')",message="path must be a JSON pointer such as /spec/paused: segments start with '/', are not empty, and write '~' as '~0' and '/' as '~1'"
	// +kubebuilder:validation:XValidation:rule="!self.split('/').exists(s, s.matches('^[0-9]+$') || s == '-')",message="path may not index into a list (a segment of digits or '-'): list items move, so their original could not be restored"
	// +kubebuilder:validation:XValidation:rule="!(self.split('/')[1] in ['metadata', 'status', 'apiVersion', 'kind'])",message="path must point into the object's content (such as /spec/...), not metadata, status, apiVersion or kind: set annotations with spec.annotations"
	Path string `json:"path"`

	// parkedValue is the value set at path while parked: any JSON value but null (a string,
	// number, boolean, object or list).
	// +required
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	ParkedValue apiextensionsv1.JSON `json:"parkedValue"`
}

// ParkingRuleSpec says how objects of one kind are kept from acting in DR: by setting fields,
// by setting annotations, or by not creating them at all until cutover (stash).
// +kubebuilder:validation:XValidation:rule="(has(self.fields) && size(self.fields) > 0) || (has(self.annotations) && size(self.annotations) > 0) || (has(self.stash) && self.stash)",message="a ParkingRule parks by fields, annotations or stash: set at least one"
// +kubebuilder:validation:XValidation:rule="!(has(self.stash) && self.stash) || ((!has(self.fields) || size(self.fields) == 0) && (!has(self.annotations) || size(self.annotations) == 0))",message="stash: true keeps the objects out of the DR namespace entirely; it excludes fields and annotations"
type ParkingRuleSpec struct {
	// group of the kind, such as example.com; empty for the core group.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == '' || self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="group must be an API group such as example.com (DNS-1123 subdomain), or empty for the core group"
	Group string `json:"group,omitempty"`

	// kind parked by this rule, such as KafkaCluster. The rule replaces dr-syncer's built-in
	// parking of the same kind, if any.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Z][A-Za-z0-9]*$')",message="kind must be a Kind such as KafkaCluster: a capital letter, then letters and digits"
	Kind string `json:"kind"`

	// fields are set to their parkedValue while the object is parked; what each held before
	// (or that it was not set) is recorded on the object and restored by cutover.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=path
	Fields []ParkedField `json:"fields,omitempty"`

	// annotations are set on the object while it is parked; the values they replace (or their
	// absence) are recorded on the object and restored by cutover.
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 253 && !k.startsWith('dr-syncer.io/'))",message="annotation keys are at most 253 characters and may not be dr-syncer's own (dr-syncer.io/...)"
	Annotations map[string]string `json:"annotations,omitempty"`

	// stash keeps objects of the kind out of the DR namespace while it is a standby: each is
	// held in a Secret of type dr-syncer.io/stash in the DR namespace, and created by cutover.
	// +optional
	Stash bool `json:"stash,omitempty"`
}

// ParkingRuleStatus reports whether the rule is in force.
type ParkingRuleStatus struct {
	// conditions: Ready is True when the rule is in force for the NamespaceMappings of its
	// namespace, False with a message when it is not (such as another rule for the same kind).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// observedGeneration is the generation the conditions describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// ParkingRule says how dr-syncer parks the objects of one kind in DR. It applies to every
// NamespaceMapping in its namespace; it replaces the built-in parking of its kind, if any.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=prule,categories=dr-syncer
// +kubebuilder:printcolumn:name="Group",type=string,JSONPath=`.spec.group`
// +kubebuilder:printcolumn:name="Kind",type=string,JSONPath=`.spec.kind`
// +kubebuilder:printcolumn:name="Stash",type=boolean,JSONPath=`.spec.stash`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
type ParkingRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ParkingRuleSpec `json:"spec"`
	// +optional
	Status ParkingRuleStatus `json:"status,omitempty"`
}

// ParkingRuleList is a list of ParkingRules.
// +kubebuilder:object:root=true
type ParkingRuleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ParkingRule `json:"items"`
}
