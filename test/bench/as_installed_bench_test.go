package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// scriptFilter is the jq program of the kubectl script: strip what the server sets, retarget the
// namespace. A headless Service keeps clusterIP None; others lose their allocated IPs.
const scriptFilter = `.items |= map(
  del(.metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp, .metadata.managedFields,
      .metadata.generation, .metadata.selfLink, .status)
  | .metadata.namespace = $ns
  | if .kind == "Service" and .spec.clusterIP != "None" then del(.spec.clusterIP, .spec.clusterIPs) else . end)`

// BenchmarkAsInstalled measures what a README install gets: the controller binary with default
// flags, a RemoteCluster without qps or burst, one Manual NamespaceMapping per round. Per round
// (DRSYNCER_BENCH_ROUNDS, default 3) and side by side: the raw 16-writer create ceiling, a full
// sync, a no-op resync, the first no-op resync after a controller restart, and the kubectl script
// `kubectl get -o json | jq | kubectl apply --server-side -f -` on the same objects (full, then
// again as a no-op). DRSYNCER_BENCH_OBJECTS sets the namespace's size (default 2,000).
func BenchmarkAsInstalled(b *testing.B) {
	n := envInt("DRSYNCER_BENCH_OBJECTS", 2000)
	rounds := envInt("DRSYNCER_BENCH_ROUNDS", 3)
	kubectl := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		b.Fatalf("kubectl from hack/testbin.sh: %v", err)
	}
	jq, err := exec.LookPath("jq")
	must(b, err)
	s := newReadmeSetup(b)
	ctx := context.Background()
	const src = "bench"
	must(b, s.prod.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: src}}))
	objs := mixedObjects(src, n)
	_, err = writeAll(ctx, s.prod, src, objs, false)
	must(b, err)

	var fig struct {
		ceiling, sync, noop, restart, script, scriptNoop, restartReqs, noopWrites, restartWrites, ratio, vsScript, noopVsScript []float64
	}
	for round := range rounds * b.N {
		ceiling, err := writeCeiling(ctx, s.dr, objs, fmt.Sprintf("ceiling-%d", round), false)
		must(b, err)
		ceilingLoad := load()

		name, dest := fmt.Sprintf("as-installed-%d", round), fmt.Sprintf("synced-%d", round)
		s.createMapping(b, name, src, dest)
		m, wall := s.sync(b, name, 10*time.Minute)
		if int(m.Status.LastSyncStats.Created) < n {
			b.Fatalf("full sync created %d of %d objects", m.Status.LastSyncStats.Created, n)
		}
		syncTime, syncLoad := m.Status.LastSyncDuration.Duration, load()

		before := s.drRequests(b)
		m, _ = s.sync(b, name, 10*time.Minute)
		noop := s.drRequests(b).minus(before)
		noopTime, noopLoad := m.Status.LastSyncDuration.Duration, load()
		if int(m.Status.LastSyncStats.Unchanged) < n {
			b.Fatalf("no-op resync: %+v", m.Status.LastSyncStats)
		}

		// A restart: a new process with empty caches. Everything DR serves from the stop on counts.
		s.stopController(b)
		before = s.drRequests(b)
		s.startController(b)
		m, _ = s.sync(b, name, 10*time.Minute)
		restart := s.drRequests(b).minus(before)
		restartTime, restartLoad := m.Status.LastSyncDuration.Duration, load()

		scriptNS := fmt.Sprintf("script-%d", round)
		must(b, s.dr.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: scriptNS}}))
		script := s.runScript(b, kubectl, jq, src, scriptNS)
		scriptLoad := load()
		scriptNoop := s.runScript(b, kubectl, jq, src, scriptNS)

		fig.ceiling = append(fig.ceiling, ceiling.Seconds())
		fig.sync = append(fig.sync, syncTime.Seconds())
		fig.noop = append(fig.noop, noopTime.Seconds())
		fig.restart = append(fig.restart, restartTime.Seconds())
		fig.script = append(fig.script, script.Seconds())
		fig.scriptNoop = append(fig.scriptNoop, scriptNoop.Seconds())
		fig.noopWrites = append(fig.noopWrites, noop.writes+noop.dryRuns)
		fig.restartWrites = append(fig.restartWrites, restart.writes+restart.dryRuns)
		fig.restartReqs = append(fig.restartReqs, restart.reads+restart.writes+restart.dryRuns)
		fig.ratio = append(fig.ratio, ceiling.Seconds()/syncTime.Seconds())
		fig.vsScript = append(fig.vsScript, script.Seconds()/syncTime.Seconds())
		fig.noopVsScript = append(fig.noopVsScript, scriptNoop.Seconds()/noopTime.Seconds())
		fmt.Printf("round %d (%d objects): ceiling %.2fs [load %s] | full sync %.2fs (wall %.2fs) [load %s] | no-op %.2fs, %v writes, %v dry runs [load %s] | "+
			"after restart %.2fs, %v requests (%v writes, %v dry runs) [load %s] | script %.2fs [load %s], script no-op %.2fs\n",
			round+1, n, ceiling.Seconds(), ceilingLoad, syncTime.Seconds(), wall.Seconds(), syncLoad, noopTime.Seconds(), noop.writes, noop.dryRuns, noopLoad,
			restartTime.Seconds(), restart.reads+restart.writes+restart.dryRuns, restart.writes, restart.dryRuns, restartLoad,
			script.Seconds(), scriptLoad, scriptNoop.Seconds())
		if len(noop.byKind)+len(restart.byKind) > 0 {
			fmt.Printf("  writes and dry runs: no-op %v, after restart %v\n", noop.byKind, restart.byKind)
		}
	}
	rss := s.rss(b)
	b.ReportMetric(median(fig.ratio), "sync/create-ceiling")
	b.ReportMetric(median(fig.vsScript), "script/sync")
	b.ReportMetric(median(fig.noopVsScript), "script-noop/noop")
	b.ReportMetric(median(fig.noopWrites), "noop-writes")
	b.ReportMetric(median(fig.restartWrites), "restart-noop-writes")
	fmt.Printf("as installed, %d objects, medians of %d rounds:\n"+
		"  full sync %.2fs (%.0f objects/s); raw 16-writer create ceiling %.2fs: sync/ceiling %.2f (goal >= 0.8)\n"+
		"  kubectl script %.2fs: %.1fx slower than the full sync (goal >= 3x)\n"+
		"  no-op resync %.2fs, %v writes or dry runs (goal 0); kubectl script again %.2fs: %.1fx (goal >= 10x)\n"+
		"  first no-op resync after a restart %.2fs, %v requests to DR from the stop on, %v writes or dry runs\n"+
		"  controller RSS at the end %.0f MB\n",
		n, len(fig.sync), median(fig.sync), float64(n)/median(fig.sync), median(fig.ceiling), median(fig.ratio),
		median(fig.script), median(fig.vsScript),
		median(fig.noop), median(fig.noopWrites), median(fig.scriptNoop), median(fig.noopVsScript),
		median(fig.restart), median(fig.restartReqs), median(fig.restartWrites), rss/1e6)
}

// runScript copies namespace src of prod into ns of dr with kubectl and jq and returns the time.
func (s *readmeSetup) runScript(b *testing.B, kubectl, jq, src, ns string) time.Duration {
	prodKC := s.prodKubeconfg
	drKC := filepath.Join(s.dir, "dr.kubeconfig")
	cmd := exec.Command("bash", "-o", "pipefail", "-c",
		`"$KUBECTL" --kubeconfig "$PROD" -n "$SRC" get configmaps,secrets,services,deployments -o json | `+
			`"$JQ" --arg ns "$NS" "$FILTER" | "$KUBECTL" --kubeconfig "$DR" apply --server-side --field-manager script -f - >/dev/null`)
	cmd.Env = append(os.Environ(), "KUBECTL="+kubectl, "JQ="+jq, "PROD="+prodKC, "DR="+drKC, "SRC="+src, "NS="+ns, "FILTER="+scriptFilter)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("kubectl script: %v: %s", err, stderr.String())
	}
	return time.Since(start)
}
