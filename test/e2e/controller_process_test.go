package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

// TestControllerProcess starts `dr-syncer controller` against a control plane, checks its probe
// and metrics endpoints and that SIGTERM stops it cleanly.
func TestControllerProcess(t *testing.T) {
	bin := buildBinary(t)
	plane := clusters[0]
	ctx := context.Background()
	g := NewWithT(t)

	k8s, err := client.New(plane.Config, client.Options{Scheme: cluster.Scheme})
	g.Expect(err).NotTo(HaveOccurred())
	const ns = "e2e-process"
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	// The control plane is its own "remote" cluster here.
	g.Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "self"},
		Data: map[string][]byte{"kubeconfig": plane.Kubeconfig}})).To(Succeed())
	newRC := func(name string) *drv1.RemoteCluster {
		return &drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: "self"}}}
	}
	// Created before the process starts: /readyz waits for it to be reconciled.
	g.Expect(k8s.Create(ctx, newRC("before"))).To(Succeed())

	dir := t.TempDir()
	kubeconfigFile := filepath.Join(dir, "kubeconfig")
	g.Expect(os.WriteFile(kubeconfigFile, plane.Kubeconfig, 0o600)).To(Succeed())
	metricsAddr, probeAddr := freeAddr(t), freeAddr(t)

	var logs bytes.Buffer
	cmd := exec.Command(bin, "controller",
		"--kubeconfig", kubeconfigFile,
		"--namespace", ns,
		"--metrics-bind-address", metricsAddr,
		"--health-probe-bind-address", probeAddr,
		"--log-format", "text")
	// One writer for both: exec then never writes to it from two goroutines at once.
	cmd.Stdout, cmd.Stderr = &logs, &logs
	g.Expect(cmd.Start()).To(Succeed())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("controller output:\n%s", logs.String())
		}
	})

	status := func(path string) func() (int, error) {
		return func() (int, error) {
			resp, err := http.Get("http://" + probeAddr + path)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.StatusCode, nil
		}
	}
	g.Eventually(status("/healthz")).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Equal(http.StatusOK))
	g.Eventually(status("/readyz")).WithTimeout(60 * time.Second).WithPolling(200 * time.Millisecond).Should(Equal(http.StatusOK))

	// A RemoteCluster created while the process runs.
	g.Expect(k8s.Create(ctx, newRC("after"))).To(Succeed())
	for _, name := range []string{"before", "after"} {
		g.Eventually(func(g Gomega) {
			rc := &drv1.RemoteCluster{}
			g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, rc)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(rc.Status.Conditions, drv1.ConditionReady)).To(BeTrue())
			g.Expect(rc.Status.ServerVersion).To(Equal("v1.37.2"))
		}).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
	}

	g.Eventually(func(g Gomega) {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		g.Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		g.Expect(err).NotTo(HaveOccurred())
		text := string(body)
		g.Expect(text).To(ContainSubstring(`controller_runtime_reconcile_total{controller="remotecluster"`))
		g.Expect(text).To(ContainSubstring(`drsyncer_remotecluster_ready{cluster="before"} 1`))
		g.Expect(text).To(ContainSubstring(`drsyncer_remotecluster_ready{cluster="after"} 1`))
		g.Expect(text).To(ContainSubstring(`drsyncer_remotecluster_probe_duration_seconds_count{cluster="after"}`))
	}).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())

	g.Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("controller exited with %d after SIGTERM", exit.ExitCode())
		}
		g.Expect(err).NotTo(HaveOccurred())
	case <-time.After(15 * time.Second):
		t.Fatal("controller still running 15s after SIGTERM")
	}

	// The kubeconfig Secret's credentials never reach the logs.
	for _, s := range keyMaterial(t, plane.Kubeconfig) {
		if strings.Contains(logs.String(), s) {
			t.Errorf("controller output contains credential material")
		}
	}
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func keyMaterial(t *testing.T, kubeconfig []byte) []string {
	t.Helper()
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, u := range cfg.AuthInfos {
		lines := strings.Split(strings.TrimSpace(string(u.ClientKeyData)), "\n")
		if len(lines) > 2 {
			out = append(out, lines[len(lines)/2])
		}
		if u.Token != "" {
			out = append(out, u.Token)
		}
	}
	return out
}
