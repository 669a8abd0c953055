package transform

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// A KubeVirt VirtualMachine runs by spec.runStrategy or by the older spec.running, never both
// (the API server refuses that). It is parked with runStrategy Halted, KubeVirt's documented way
// to keep no VirtualMachineInstance (https://kubevirt.io/user-guide/compute/run_strategies/),
// and its original is recorded as "runStrategy=<value>", "running=<bool>" or "" (neither set),
// so that activation restores exactly the field the source used.
var (
	runStrategyPath = []string{"spec", "runStrategy"}
	runningPath     = []string{"spec", "running"}
)

// runStrategyHalted is the parked state of a VirtualMachine.
const runStrategyHalted = "runStrategy=Halted"

var runStrategyParking = &parking{
	annotation: drv1.AnnotationOriginalRunStrategy,
	parked:     runStrategyHalted,
	field:      runStrategyPath,
	read: func(obj *unstructured.Unstructured) (string, error) {
		strategy, hasStrategy, err := unstructured.NestedString(obj.Object, runStrategyPath...)
		if err != nil {
			return "", err
		}
		running, hasRunning, err := unstructured.NestedBool(obj.Object, runningPath...)
		if err != nil {
			return "", err
		}
		switch {
		case hasStrategy && hasRunning:
			return "", fmt.Errorf("spec.runStrategy and spec.running are both set; KubeVirt allows one")
		case hasStrategy:
			return "runStrategy=" + strategy, nil
		case hasRunning:
			return "running=" + strconv.FormatBool(running), nil
		}
		return "", nil
	},
	write: func(obj *unstructured.Unstructured, value string) error {
		unstructured.RemoveNestedField(obj.Object, runStrategyPath...)
		unstructured.RemoveNestedField(obj.Object, runningPath...)
		if value == "" {
			return nil
		}
		field, v, _ := strings.Cut(value, "=")
		switch {
		case field == "runStrategy" && v != "":
			return unstructured.SetNestedField(obj.Object, v, runStrategyPath...)
		case field == "running" && (v == "true" || v == "false"):
			return unstructured.SetNestedField(obj.Object, v == "true", runningPath...)
		}
		return fmt.Errorf("annotation %s=%q: want runStrategy=<strategy>, running=true, running=false or empty", drv1.AnnotationOriginalRunStrategy, value)
	},
}
