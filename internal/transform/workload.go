package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-openapi/jsonpointer"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// ParkedNodeSelectorKey is the node label a parked DaemonSet selects on. No node carries it, so
// the DaemonSet exists in DR but runs no pods.
const ParkedNodeSelectorKey = "dr-syncer.io/parked"

// parking is how one kind is kept from running in DR and brought back at cutover. Values travel
// in the canonical string form stored in the kind's original-* annotation, so that reading,
// recording and comparing are one code path for every kind.
type parking struct {
	annotation string
	parked     string
	// field holds the parked value.
	field []string
	// path, when set, is the specReplicasPath of a custom resource, recorded with the value.
	path string
	read func(obj *unstructured.Unstructured) (string, error)
	// write decodes value and sets it; a value that does not decode is an error.
	write func(obj *unstructured.Unstructured, value string) error
}

var (
	replicasPath     = []string{"spec", "replicas"}
	suspendPath      = []string{"spec", "suspend"}
	nodeSelectorPath = []string{"spec", "template", "spec", "nodeSelector"}
)

var replicasParking = &parking{
	annotation: drv1.AnnotationOriginalReplicas,
	parked:     "0",
	field:      replicasPath,
	read: func(obj *unstructured.Unstructured) (string, error) {
		n, found, err := unstructured.NestedInt64(obj.Object, replicasPath...)
		if err != nil {
			return "", err
		}
		if !found {
			n = 1 // the API server's default
		}
		return strconv.FormatInt(n, 10), nil
	},
	write: func(obj *unstructured.Unstructured, value string) error {
		n, err := parseReplicas(value)
		if err != nil {
			return fmt.Errorf("annotation %s=%q: %w", drv1.AnnotationOriginalReplicas, value, err)
		}
		return unstructured.SetNestedField(obj.Object, n, replicasPath...)
	},
}

var suspendParking = &parking{
	annotation: drv1.AnnotationOriginalSuspend,
	parked:     "true",
	field:      suspendPath,
	read: func(obj *unstructured.Unstructured) (string, error) {
		b, _, err := unstructured.NestedBool(obj.Object, suspendPath...)
		return strconv.FormatBool(b), err
	},
	write: func(obj *unstructured.Unstructured, value string) error {
		if value != "true" && value != "false" {
			return fmt.Errorf("annotation %s=%q: want \"true\" or \"false\"", drv1.AnnotationOriginalSuspend, value)
		}
		return unstructured.SetNestedField(obj.Object, value == "true", suspendPath...)
	},
}

var nodeSelectorParking = &parking{
	annotation: drv1.AnnotationOriginalNodeSelector,
	parked:     `{"` + ParkedNodeSelectorKey + `":"true"}`,
	field:      nodeSelectorPath,
	read: func(obj *unstructured.Unstructured) (string, error) {
		sel, _, err := unstructured.NestedNullCoercingStringMap(obj.Object, nodeSelectorPath...)
		if err != nil {
			return "", err
		}
		if sel == nil {
			sel = map[string]string{} // "{}", not "null"
		}
		b, err := json.Marshal(sel) // sorted keys: equal selectors encode equally
		return string(b), err
	},
	write: func(obj *unstructured.Unstructured, value string) error {
		var sel map[string]string
		if err := json.Unmarshal([]byte(value), &sel); err != nil {
			return fmt.Errorf("annotation %s=%q: %w", drv1.AnnotationOriginalNodeSelector, value, err)
		}
		if len(sel) == 0 {
			unstructured.RemoveNestedField(obj.Object, nodeSelectorPath...)
			return nil
		}
		return unstructured.SetNestedStringMap(obj.Object, sel, nodeSelectorPath...)
	},
}

// parkingFor returns how gk is parked, or nil when dr-syncer never parks it.
func parkingFor(gk schema.GroupKind) *parking {
	switch gk {
	case gkDeployment, gkStatefulSet, gkReplicaSet, gkRC:
		return replicasParking
	case gkCronJob, gkJob, gkKustomization, gkHelmRelease:
		return suspendParking
	case gkDaemonSet:
		return nodeSelectorParking
	case gkScaledObject, gkScaledJob:
		return kedaParking
	case gkVirtualMachine:
		return runStrategyParking
	case gkCNPGCluster:
		return cnpgParking
	}
	return nil
}

// ParkedCustomKinds are the custom kinds dr-syncer parks without a scale subresource.
var ParkedCustomKinds = []schema.GroupKind{gkKustomization, gkHelmRelease, gkScaledObject, gkScaledJob, gkVirtualMachine, gkCNPGCluster}

// Parked says which annotation records the original value of a kind dr-syncer parks, and at
// which field the parked value is; ok is false for a kind it never parks by kind.
func Parked(gk schema.GroupKind) (annotation string, field []string, ok bool) {
	p := parkingFor(gk)
	if p == nil {
		return "", nil, false
	}
	return p.annotation, p.field, true
}

// BuiltinParking describes how dr-syncer parks kind gk when no ParkingRule does: the JSON
// pointer of the field it sets and the value it sets there; ok is false for a kind it does not
// park by kind (a custom kind may still be parked by its scale subresource).
func BuiltinParking(gk schema.GroupKind) (path, value string, ok bool) {
	p := parkingFor(gk)
	if p == nil {
		return "", "", false
	}
	var b strings.Builder
	for _, f := range p.field {
		b.WriteString("/" + jsonpointer.Escape(f))
	}
	value = p.parked
	if p == runStrategyParking {
		value = strings.TrimPrefix(value, "runStrategy=")
	}
	return b.String(), value, true
}

// park records obj's live value in the annotation and parks it.
func (p *parking) park(obj *unstructured.Unstructured) error {
	live, err := p.read(obj)
	if err != nil {
		return objectError(obj, err)
	}
	if err := p.record(obj, live); err != nil {
		return err
	}
	if err := p.write(obj, p.parked); err != nil {
		return objectError(obj, err)
	}
	return nil
}

// record sets the annotation of the original value (and the replicas path of a custom resource).
func (p *parking) record(obj *unstructured.Unstructured, value string) error {
	if p.path != "" {
		if err := setAnnotation(obj, drv1.AnnotationOriginalReplicasPath, p.path); err != nil {
			return err
		}
	}
	return setAnnotation(obj, p.annotation, value)
}

// parseReplicas accepts a decimal replica count that fits spec.replicas (int32).
func parseReplicas(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 {
		return 0, errors.New("not a replica count >= 0")
	}
	return n, nil
}

// scaleWorkload applies ScaleToZero and the scale-override label to a kind parked by its
// replica count (Deployment, StatefulSet, ReplicaSet, ReplicationController, a custom resource
// with a scale subresource). The source count is recorded whenever DR may run a different
// count, so cutover can restore it.
func scaleWorkload(obj *unstructured.Unstructured, scaleToZero bool, p *parking) error {
	override, hasOverride := obj.GetLabels()[drv1.LabelScaleOverride]
	if !hasOverride {
		if scaleToZero {
			return p.park(obj)
		}
		return nil
	}
	source, err := p.read(obj)
	if err != nil {
		return objectError(obj, err)
	}
	target := source
	if override != "true" {
		n, err := parseReplicas(override)
		if err != nil {
			return objectError(obj, fmt.Errorf("label %s=%q: want \"true\" or a replica count >= 0", drv1.LabelScaleOverride, override))
		}
		target = strconv.FormatInt(n, 10)
	} else if !scaleToZero {
		return nil // DR runs the source count: nothing to record
	}
	if err := p.record(obj, source); err != nil {
		return err
	}
	if err := p.write(obj, target); err != nil {
		return objectError(obj, err)
	}
	return nil
}
