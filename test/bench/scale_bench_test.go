package bench

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// scaleEnabled runs the scale benchmarks only when asked (DRSYNCER_BENCH_SCALE=1): they take
// several minutes and a few GB of etcd.
func scaleEnabled(b *testing.B) {
	if os.Getenv("DRSYNCER_BENCH_SCALE") == "" {
		b.Skip("scale benchmark: set DRSYNCER_BENCH_SCALE=1")
	}
}

// BenchmarkScaleNamespace syncs one namespace of 50,000 mixed objects (DRSYNCER_BENCH_SCALE_OBJECTS)
// with the README's setup: full sync, no-op resync, the first no-op resync after a restart, and
// the controller's RSS after each.
func BenchmarkScaleNamespace(b *testing.B) {
	scaleEnabled(b)
	n := envInt("DRSYNCER_BENCH_SCALE_OBJECTS", 50000)
	s := newReadmeSetup(b)
	ctx := context.Background()
	const src = "big"
	must(b, s.prod.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: src}}))
	objs := mixedObjects(src, n)
	created, err := writeAll(ctx, s.prod, src, objs, false)
	must(b, err)
	objs = nil
	fmt.Printf("scale: %d objects created in the source in %.1fs [load %s]\n", n, created.Seconds(), load())

	s.createMapping(b, "big", src, src)
	m, wall := s.sync(b, "big", 30*time.Minute)
	fmt.Printf("  full sync %.1fs (wall %.1fs, %.0f objects/s) [load %s], controller RSS %.0f MB\n",
		m.Status.LastSyncDuration.Seconds(), wall.Seconds(), float64(n)/m.Status.LastSyncDuration.Seconds(), load(), s.rss(b)/1e6)
	before := s.drRequests(b)
	m, _ = s.sync(b, "big", 30*time.Minute)
	noop := s.drRequests(b).minus(before)
	fmt.Printf("  no-op resync %.1fs, %v writes, %v dry runs [load %s], controller RSS %.0f MB\n",
		m.Status.LastSyncDuration.Seconds(), noop.writes, noop.dryRuns, load(), s.rss(b)/1e6)
	b.ReportMetric(s.rss(b)/1e6, "rss-MB")

	s.stopController(b)
	before = s.drRequests(b)
	s.startController(b)
	m, _ = s.sync(b, "big", 30*time.Minute)
	restart := s.drRequests(b).minus(before)
	fmt.Printf("  first no-op resync after a restart %.1fs, %v requests (%v writes, %v dry runs) [load %s], controller RSS %.0f MB\n",
		m.Status.LastSyncDuration.Seconds(), restart.reads+restart.writes+restart.dryRuns, restart.writes, restart.dryRuns, load(), s.rss(b)/1e6)
}

// BenchmarkScaleMappings has one controller sync 200 mappings of 100 objects each
// (DRSYNCER_BENCH_MAPPINGS, DRSYNCER_BENCH_MAPPING_OBJECTS), all requested at once: the total
// time, and fairness as the slowest mapping against the median, both for the sync's own
// duration and for the time from the request until the mapping was synced.
func BenchmarkScaleMappings(b *testing.B) {
	scaleEnabled(b)
	mappings := envInt("DRSYNCER_BENCH_MAPPINGS", 200)
	per := envInt("DRSYNCER_BENCH_MAPPING_OBJECTS", 100)
	s := newReadmeSetup(b)
	ctx := context.Background()
	names := make([]string, mappings)
	var wg sync.WaitGroup
	errs := make(chan error, mappings)
	sem := make(chan struct{}, 4)
	for i := range mappings {
		names[i] = fmt.Sprintf("app-%03d", i)
		wg.Add(1)
		go func(ns string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := s.prod.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
				errs <- err
				return
			}
			if _, err := writeAll(ctx, s.prod, ns, mixedObjects(ns, per), false); err != nil {
				errs <- err
			}
		}(names[i])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(b, err)
	}
	for _, name := range names {
		s.createMapping(b, name, name, name)
	}

	start := time.Now()
	value := s.requestSync(b, names...)
	done := map[string]time.Duration{}
	durations := map[string]time.Duration{}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Minute, true, func(ctx context.Context) (bool, error) {
		list := &drv1.NamespaceMappingList{}
		if err := s.prod.Client.List(ctx, list, client.InNamespace(controllerNS)); err != nil {
			return false, nil
		}
		for _, m := range list.Items {
			if _, seen := done[m.Name]; !seen && m.Status.LastHandledSyncRequest == value && m.Status.LastSyncDuration != nil {
				if m.Status.Phase != drv1.PhaseSynced {
					return false, fmt.Errorf("mapping %s: phase %s: %+v", m.Name, m.Status.Phase, m.Status.FailedResources)
				}
				done[m.Name] = time.Since(start)
				durations[m.Name] = m.Status.LastSyncDuration.Duration
			}
		}
		return len(done) == mappings, nil
	})
	must(b, err)
	total := time.Since(start)
	toSynced, own := values(done), values(durations)
	fmt.Printf("scale: %d mappings x %d objects, one controller, all requested at once [load %s]:\n"+
		"  total %.1fs (%.0f objects/s); controller RSS %.0f MB\n"+
		"  time from the request until synced: median %.1fs, slowest %.1fs (slowest/median %.2f)\n"+
		"  each sync's own duration: median %.2fs, slowest %.2fs (slowest/median %.2f)\n",
		mappings, per, load(), total.Seconds(), float64(mappings*per)/total.Seconds(), s.rss(b)/1e6,
		median(toSynced), slices.Max(toSynced), slices.Max(toSynced)/median(toSynced),
		median(own), slices.Max(own), slices.Max(own)/median(own))
	b.ReportMetric(total.Seconds(), "total-s")
	b.ReportMetric(slices.Max(own)/median(own), "fairness")
}

func values(m map[string]time.Duration) []float64 {
	out := make([]float64, 0, len(m))
	for _, d := range m {
		out = append(out, d.Seconds())
	}
	return out
}
