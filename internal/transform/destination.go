package transform

import (
	"errors"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
	var err error
	switch gk := groupKind(out); gk {
	case gkDeployment, gkStatefulSet, gkReplicaSet, gkRC:
		err = scaleWorkload(out, opts.ScaleToZero, replicasParking)
	case gkCronJob, gkDaemonSet, gkKustomization, gkHelmRelease, gkScaledObject, gkScaledJob, gkVirtualMachine, gkCNPGCluster:
		err = parkingFor(gk).park(out)
	case gkJob:
		// A Job copied to DR would run at once: it is suspended like a CronJob.
		if err = jobToDestination(out); err == nil {
			err = suspendParking.park(out)
		}
		if err == nil {
			err = recordJobFinished(out, obj)
		}
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
	default:
		if path, ok := opts.ScaleReplicasPaths[gk]; ok {
			var p *parking
			if p, err = replicasParkingAt(path); err == nil {
				err = scaleWorkload(out, opts.ScaleToZero, p)
			} else {
				err = objectError(out, err)
			}
		}
	}
	if err == nil {
		err = claimTemplatesToDestination(out, opts.PVC)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
