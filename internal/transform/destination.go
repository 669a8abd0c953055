package transform

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var errNilObject = errors.New("transform: nil object")

// ToDestination returns the desired DR object for a source object. It never mutates obj.
func ToDestination(obj *unstructured.Unstructured, opts Options) (*unstructured.Unstructured, error) {
	if obj == nil {
		return nil, errNilObject
	}
	out := obj.DeepCopy()
	if err := toDestinationMeta(out, opts); err != nil {
		return nil, err
	}
	gk := groupKind(out)
	err := toDestinationContent(out, obj, opts)
	if err == nil {
		if rule, ok := opts.Rules[gk]; ok {
			err = parkByRule(out, rule)
		} else {
			err = parkBuiltin(out, obj, gk, opts)
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// toDestinationContent makes what DR needs of an object's content (before any parking).
func toDestinationContent(out, obj *unstructured.Unstructured, opts Options) error {
	var err error
	switch groupKind(out) {
	case gkJob:
		err = jobToDestination(out)
	case gkService:
		err = serviceToDestination(out, obj)
	case gkPVC:
		err = pvcToDestination(out, opts.PVC)
	case gkServiceAccount:
		serviceAccountToDestination(out)
	case gkRoleBinding:
		err = retargetSubjects(out, opts.SourceNamespace, opts.DestNamespace)
	case gkNetworkPolicy:
		err = retargetNamespaceSelectors(out, opts.SourceNamespace, opts.DestNamespace)
	}
	if err != nil {
		return err
	}
	return claimTemplatesToDestination(out, opts.PVC)
}

// parkBuiltin parks out the way dr-syncer parks its kind without a rule.
func parkBuiltin(out, src *unstructured.Unstructured, gk schema.GroupKind, opts Options) error {
	switch gk {
	case gkDeployment, gkStatefulSet, gkReplicaSet, gkRC:
		return scaleWorkload(out, opts.ScaleToZero, replicasParking)
	case gkCronJob, gkDaemonSet, gkKustomization, gkHelmRelease, gkScaledObject, gkScaledJob, gkVirtualMachine, gkCNPGCluster:
		return parkingFor(gk).park(out)
	case gkJob:
		// A Job copied to DR would run at once: it is suspended like a CronJob.
		if err := suspendParking.park(out); err != nil {
			return err
		}
		return recordJobFinished(out, src)
	case gkIngress, gkService:
		if opts.ParkNetworking {
			return parkNetworking(out)
		}
		return nil
	}
	if path, ok := opts.ScaleReplicasPaths[gk]; ok {
		p, err := replicasParkingAt(path)
		if err != nil {
			return objectError(out, err)
		}
		return scaleWorkload(out, opts.ScaleToZero, p)
	}
	return nil
}

// parkByRule parks obj as a ParkingRule says, recording what it changed on obj.
func parkByRule(obj *unstructured.Unstructured, rule *Rule) error {
	if rule.Stash {
		return objectError(obj, fmt.Errorf("ParkingRule %s stashes its kind: it has no parked form in the DR namespace", rule.Name))
	}
	p, err := ruleParking(rule)
	if err != nil {
		return objectError(obj, err)
	}
	return p.park(obj)
}
