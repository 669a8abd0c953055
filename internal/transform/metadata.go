package transform

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// serverMetadata is set by the source API server and meaningless (or rejected) in DR.
var serverMetadata = []string{
	"uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
	"deletionGracePeriodSeconds", "managedFields", "ownerReferences", "finalizers", "selfLink",
}

// managedAnnotations are computed for DR by this package; a source copy of them would lie.
var managedAnnotations = []string{
	drv1.AnnotationSource,
	drv1.AnnotationSourceUID,
	drv1.AnnotationOriginalReplicas,
	drv1.AnnotationOriginalReplicasPath,
	drv1.AnnotationOriginalSuspend,
	drv1.AnnotationOriginalNodeSelector,
	drv1.AnnotationSourceFinished,
	drv1.AnnotationOriginalPaused,
	drv1.AnnotationOriginalRunStrategy,
	drv1.AnnotationOriginalHibernation,
	drv1.AnnotationOriginalFields,
}

const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// toDestinationMeta rewrites out's metadata for the DR cluster: server-set fields and status go,
// provenance label and annotations come in.
func toDestinationMeta(out *unstructured.Unstructured, opts Options) error {
	if opts.DestNamespace == "" {
		return errors.New("transform: Options.DestNamespace is empty")
	}
	if opts.MappingID == "" {
		return errors.New("transform: Options.MappingID is empty")
	}
	if out.Object == nil {
		out.Object = map[string]any{}
	}
	labels, err := stringMap(out, "metadata", "labels")
	if err != nil {
		return err
	}
	annotations, err := stringMap(out, "metadata", "annotations")
	if err != nil {
		return err
	}
	uid, _, err := unstructured.NestedString(out.Object, "metadata", "uid")
	if err != nil {
		return objectError(out, err)
	}

	for _, f := range serverMetadata {
		unstructured.RemoveNestedField(out.Object, "metadata", f)
	}
	delete(out.Object, "status")
	if err := unstructured.SetNestedField(out.Object, opts.DestNamespace, "metadata", "namespace"); err != nil {
		return objectError(out, err)
	}

	if labels == nil {
		labels = map[string]string{}
	}
	labels[drv1.LabelMapping] = opts.MappingID
	if err := unstructured.SetNestedStringMap(out.Object, labels, "metadata", "labels"); err != nil {
		return objectError(out, err)
	}

	if annotations == nil {
		annotations = map[string]string{}
	}
	delete(annotations, lastAppliedAnnotation)
	for _, k := range managedAnnotations {
		delete(annotations, k)
	}
	cluster := opts.SourceCluster
	if cluster == "" {
		cluster = LocalCluster
	}
	annotations[drv1.AnnotationSource] = cluster + "/" + opts.SourceNamespace + "/" + out.GetName()
	if uid != "" {
		annotations[drv1.AnnotationSourceUID] = uid
	}
	return unstructured.SetNestedStringMap(out.Object, annotations, "metadata", "annotations")
}

// stringMap reads a string map such as labels; null reads as absent, as the API server decodes it.
func stringMap(obj *unstructured.Unstructured, fields ...string) (map[string]string, error) {
	m, _, err := unstructured.NestedNullCoercingStringMap(obj.Object, fields...)
	if err != nil {
		return nil, objectError(obj, err)
	}
	return m, nil
}

// setAnnotation sets one annotation, keeping the others.
func setAnnotation(obj *unstructured.Unstructured, key, value string) error {
	annotations, err := stringMap(obj, "metadata", "annotations")
	if err != nil {
		return err
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[key] = value
	return unstructured.SetNestedStringMap(obj.Object, annotations, "metadata", "annotations")
}

// objectError prefixes err with the object it is about, for per-object reports.
func objectError(obj *unstructured.Unstructured, err error) error {
	return fmt.Errorf("%s %q: %w", obj.GetKind(), obj.GetName(), err)
}
