// Package bench holds benchmarks of dr-syncer as the README installs it, against real control
// planes (make bench, make bench-scale). Each compares its figures with a baseline measured in
// the same run, since the machine is shared.
package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// benchWorkers is the concurrency of the raw write ceiling: the controller's default --workers.
const benchWorkers = 16

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// mixedObjects builds n source objects: ConfigMaps, Secrets, Services and Deployments.
func mixedObjects(ns string, n int) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, 0, n)
	for i := range n {
		var obj runtime.Object
		name := fmt.Sprintf("obj-%05d", i)
		switch i % 10 {
		case 0, 1, 2, 3, 4:
			obj = &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "bench"}},
				Data:       map[string]string{"config.yaml": strings.Repeat("key: value\n", 20)}}
		case 5, 6, 7:
			obj = &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				Data:       map[string][]byte{"token": []byte(strings.Repeat("x", 64))}}
		case 8:
			obj = &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": name},
					Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}}}
		default:
			obj = deployment(ns, name)
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			panic(err)
		}
		u := &unstructured.Unstructured{Object: m}
		unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
		unstructured.RemoveNestedField(u.Object, "status")
		out = append(out, u)
	}
	return out
}

// writeAll creates (or applies) objects with benchWorkers parallel writers and returns the time it took.
func writeAll(ctx context.Context, h *cluster.Handle, ns string, objs []*unstructured.Unstructured, apply bool) (time.Duration, error) {
	start := time.Now()
	var firstErr atomic.Value
	next := make(chan *unstructured.Unstructured)
	done := make(chan struct{})
	for range benchWorkers {
		go func() {
			defer func() { done <- struct{}{} }()
			for o := range next {
				c := o.DeepCopy()
				c.SetNamespace(ns)
				if err := writeOne(ctx, h, ns, c, apply); err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	for _, o := range objs {
		next <- o
	}
	close(next)
	for range benchWorkers {
		<-done
	}
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// writeCeiling writes the transformed objects straight into a new DR namespace.
func writeCeiling(ctx context.Context, dr *cluster.Handle, objs []*unstructured.Unstructured, ns string, apply bool) (time.Duration, error) {
	if err := dr.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return 0, err
	}
	desired := make([]*unstructured.Unstructured, len(objs))
	for j, o := range objs {
		d, err := transform.ToDestination(o, transform.Options{SourceNamespace: o.GetNamespace(), DestNamespace: ns, MappingID: "ceiling", ScaleToZero: true})
		if err != nil {
			return 0, err
		}
		desired[j] = d
	}
	return writeAll(ctx, dr, ns, desired, apply)
}
