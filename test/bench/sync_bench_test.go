// Package bench holds benchmarks against real control planes (make bench). Each reports its
// figures as ratios against a baseline measured in the same run, since the machine is shared.
package bench

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

const (
	benchObjects = 5000
	benchWorkers = 16
)

// BenchmarkFullSync syncs 5,000 mixed objects into an empty DR namespace and compares the rate
// with the raw write ceiling: direct creates of the same objects, same concurrency, same server.
func BenchmarkFullSync(b *testing.B) {
	clusters, err := testbed.Start(testbed.Options{}, "prod", "dr")
	if err != nil {
		b.Fatal(err)
	}
	defer testbed.StopAll(clusters)
	ctx := context.Background()
	prod, err := cluster.New("prod", clusters[0].Config)
	if err != nil {
		b.Fatal(err)
	}
	writes := &atomic.Int64{}
	drCfg := rest.CopyConfig(clusters[1].Config)
	drCfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return countWrites(rt, writes) }
	dr, err := cluster.New("dr", drCfg)
	if err != nil {
		b.Fatal(err)
	}

	const ns = "bench"
	objs := mixedObjects(ns, benchObjects)
	for _, n := range []string{ns} {
		if err := prod.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := writeAll(ctx, prod, ns, objs, false); err != nil {
		b.Fatal(err)
	}

	// The machine is shared: rounds interleave the baselines and the sync, and the medians count.
	const rounds = 3
	var syncRates, createRates, applyRates, noopTimes, syncTimes []float64
	var noopWrites int64
	for round := range rounds * b.N {
		// Ceilings: the same transformed objects written directly into other namespaces of the
		// DR server, once with plain creates and once with server-side apply.
		ceiling, err := writeCeiling(ctx, dr, objs, fmt.Sprintf("ceiling-create-%d", round), false)
		if err != nil {
			b.Fatal(err)
		}
		applyCeiling, err := writeCeiling(ctx, dr, objs, fmt.Sprintf("ceiling-apply-%d", round), true)
		if err != nil {
			b.Fatal(err)
		}

		dest := fmt.Sprintf("synced-%d", round)
		req := engine.Request{
			Source: prod, Dest: dr,
			Transform:       transform.Options{SourceNamespace: ns, DestNamespace: dest, MappingID: "bench", ScaleToZero: true},
			CreateNamespace: true, Prune: true, MaxDeletePercent: 50,
			ConflictPolicy: drv1.ConflictSkip, ImmutableFieldPolicy: drv1.ImmutableSkip,
			Workers: benchWorkers, Applied: engine.NewAppliedCache(),
		}
		start := time.Now()
		res, err := engine.Sync(ctx, req)
		syncTime := time.Since(start)
		if err != nil || res.Stats.Created != benchObjects || res.Stats.Failed != 0 {
			b.Fatalf("sync: err=%v stats=%+v failed=%v", err, res.Stats, res.Failed)
		}
		writes.Store(0)
		start = time.Now()
		res, err = engine.Sync(ctx, req)
		noopTime := time.Since(start)
		if err != nil || res.Stats.Unchanged != benchObjects {
			b.Fatalf("resync: err=%v stats=%+v", err, res.Stats)
		}
		noopWrites += writes.Load()
		syncRates = append(syncRates, benchObjects/syncTime.Seconds())
		syncTimes = append(syncTimes, syncTime.Seconds())
		createRates = append(createRates, benchObjects/ceiling.Seconds())
		applyRates = append(applyRates, benchObjects/applyCeiling.Seconds())
		noopTimes = append(noopTimes, noopTime.Seconds())
		fmt.Printf("round %d: sync %.0f objects/s, create ceiling %.0f/s, apply ceiling %.0f/s, no-op resync %d writes in %.2fs\n",
			round+1, syncRates[round], createRates[round], applyRates[round], writes.Load(), noopTime.Seconds())
	}
	syncRate, createRate, applyRate := median(syncRates), median(createRates), median(applyRates)
	b.ReportMetric(syncRate, "sync-objects/s")
	b.ReportMetric(createRate, "ceiling-creates/s")
	b.ReportMetric(syncRate/createRate, "sync/create-ceiling")
	b.ReportMetric(syncRate/applyRate, "sync/apply-ceiling")
	b.ReportMetric(float64(noopWrites), "noop-writes")
	fmt.Printf("full sync of %d objects (median of %d rounds): %.0f objects/s (%.1fs)\n"+
		"  raw create ceiling: %.0f creates/s: sync/create-ceiling %.2f\n"+
		"  raw server-side-apply ceiling: %.0f applies/s: sync/apply-ceiling %.2f\n"+
		"  no-op resync: %d writes in all rounds, %.2fs (%.2f of the full sync's time)\n",
		benchObjects, len(syncRates), syncRate, median(syncTimes), createRate, syncRate/createRate,
		applyRate, syncRate/applyRate, noopWrites, median(noopTimes), median(noopTimes)/median(syncTimes))
}

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
