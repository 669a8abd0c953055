package testbed

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// Runnables are the control plane components a cluster runs beside kube-apiserver and etcd, so
// that workloads really run: Deployments get Pods, Pods get nodes and become Ready. Tests opt in
// per cluster; the cost is in docs/development.md ("Runnable clusters").
type Runnables struct {
	// ControllerManager runs kube-controller-manager with the workload, namespace, garbage
	// collector, service-account and EndpointSlice controllers (ControllerManagerControllers).
	ControllerManager bool
	// Scheduler runs kube-scheduler, which binds Pods to nodes.
	Scheduler bool
	// Nodes is the number of fake nodes kwok simulates; 0 runs no kwok. kwok makes scheduled Pods
	// Running and Ready, and Job Pods Succeeded.
	Nodes int
}

// AllRunnables is a cluster that runs workloads on n fake nodes.
func AllRunnables(nodes int) Runnables {
	return Runnables{ControllerManager: true, Scheduler: true, Nodes: nodes}
}

func (r Runnables) any() bool { return r.ControllerManager || r.Scheduler || r.Nodes > 0 }

// ControllerManagerControllers are the controllers the test bed's kube-controller-manager runs:
// what takes a workload to Pods, what a real cluster does to objects on its own (garbage
// collection, namespace deletion, service accounts), and EndpointSlices, which say that a
// Service has ready Pods behind it.
var ControllerManagerControllers = []string{
	"garbage-collector-controller",
	"namespace-controller",
	"deployment-controller",
	"replicaset-controller",
	"statefulset-controller",
	"daemonset-controller",
	"job-controller",
	"cronjob-controller",
	"replicationcontroller-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"endpointslice-controller",
}

// KwokNodeAnnotation marks the nodes the test bed's kwok manages.
const KwokNodeAnnotation = "kwok.x-k8s.io/node"

// runnableStopTimeout is how long a runnable gets to exit on SIGTERM before SIGKILL.
const runnableStopTimeout = 10 * time.Second

// runnableStartTimeout bounds the start of one runnable: generous, the machine may be loaded.
const runnableStartTimeout = 2 * time.Minute

// KeepLogsEnv, set to any value, keeps every cluster's RunnableLogDir after it stops.
const KeepLogsEnv = "DRSYNCER_KEEP_RUNNABLE_LOGS"

// StartRunnables starts the runnables r selects on the cluster, returns once each is serving
// (nodes Ready), and lets Stop stop them before the control plane. Each writes its log to a file
// in RunnableLogDir. On error, the runnables it started are stopped and the error holds the end
// of the failing one's log.
func (c *Cluster) StartRunnables(r Runnables) error {
	if !r.any() {
		return nil
	}
	if os.Getenv(KeepLogsEnv) != "" {
		c.keepRunDir = true
	}
	if c.assetsDir == "" {
		return errors.New("testbed: cluster has no assets directory")
	}
	if c.runDir == "" {
		dir, err := os.MkdirTemp("", "dr-syncer-runnables-"+c.Name+"-")
		if err != nil {
			return err
		}
		c.runDir = dir
	}
	kubeconfig, err := c.WriteKubeconfig(c.runDir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), runnableStartTimeout)
	defer cancel()
	err = c.startRunnables(ctx, r, kubeconfig)
	if err != nil {
		err = errors.Join(err, c.stopRunnables())
	}
	return err
}

func (c *Cluster) startRunnables(ctx context.Context, r Runnables, kubeconfig string) error {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return err
	}
	// Started together; each one's readiness is checked after, so their start times overlap.
	var waits []func() error
	if r.ControllerManager {
		ca := filepath.Join(c.runDir, "ca.crt")
		if err := os.WriteFile(ca, c.Config.CAData, 0o600); err != nil {
			return err
		}
		wait, err := c.startServing(ctx, "kube-controller-manager", "/healthz",
			"--kubeconfig="+kubeconfig,
			"--authentication-kubeconfig="+kubeconfig,
			"--authorization-kubeconfig="+kubeconfig,
			"--authentication-skip-lookup",
			"--leader-elect=false",
			"--controllers="+strings.Join(ControllerManagerControllers, ","),
			// Tokens signed with the key the API server verifies, and the CA Pods are given.
			"--service-account-private-key-file="+filepath.Join(c.certDir, "sa-signer.key"),
			"--root-ca-file="+ca,
			"--cluster-name="+c.Name,
		)
		if err != nil {
			return err
		}
		waits = append(waits, func() error {
			p, err := wait()
			if err != nil {
				return err
			}
			// Its controllers run once the service-account controller has made "default".
			return waitFor(ctx, p, "the default ServiceAccount", func(ctx context.Context) (bool, error) {
				_, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					return false, nil
				}
				return err == nil, err
			})
		})
	}
	if r.Scheduler {
		wait, err := c.startServing(ctx, "kube-scheduler", "/readyz",
			"--kubeconfig="+kubeconfig,
			"--authentication-kubeconfig="+kubeconfig,
			"--authorization-kubeconfig="+kubeconfig,
			"--authentication-skip-lookup",
			"--leader-elect=false",
		)
		if err != nil {
			return err
		}
		waits = append(waits, func() error { _, err := wait(); return err })
	}
	if r.Nodes > 0 {
		p, err := c.startRunnable("kwok",
			"--kubeconfig="+kubeconfig,
			"--config="+filepath.Join(c.assetsDir, "kwok-stages.yaml"),
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector="+KwokNodeAnnotation+"=fake",
			"--cidr=10.244.0.0/16",
			"--node-ip=127.0.0.1",
		)
		if err != nil {
			return err
		}
		waits = append(waits, func() error { return c.createNodes(ctx, cs, p, r.Nodes) })
	}
	for _, w := range waits {
		if err := w(); err != nil {
			return err
		}
	}
	return nil
}

// startServing starts a runnable that serves its health endpoint (path) on a loopback port of its
// own, and returns a function that waits until the endpoint answers. A port someone else took
// between freePort and the bind is retried with another one, twice.
func (c *Cluster) startServing(ctx context.Context, name, path string, args ...string) (func() (*process, error), error) {
	start := func() (*process, int, error) {
		port, err := freePort()
		if err != nil {
			return nil, 0, err
		}
		p, err := c.startRunnable(name, append(slices.Clone(args), "--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(port))...)
		return p, port, err
	}
	p, port, err := start()
	if err != nil {
		return nil, err
	}
	return func() (*process, error) {
		for attempt := 1; ; attempt++ {
			err := waitHealthz(ctx, p, port, path)
			if exited, _ := p.exited(); err == nil || !exited || attempt == 3 || !strings.Contains(p.logTail(20), "address already in use") {
				return p, err
			}
			c.runnables = slices.DeleteFunc(c.runnables, func(q *process) bool { return q == p })
			if p, port, err = start(); err != nil {
				return nil, err
			}
		}
	}, nil
}

// startRunnable starts one binary from the assets directory, logging to RunnableLogDir.
func (c *Cluster) startRunnable(name string, args ...string) (*process, error) {
	bin := filepath.Join(c.assetsDir, name)
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%s not built: run hack/testbin.sh (make testbin): %w", name, err)
	}
	p, err := startProcess(name, bin, filepath.Join(c.runDir, name+".log"), args)
	if err != nil {
		return nil, err
	}
	c.runnables = append(c.runnables, p)
	return p, nil
}

// createNodes registers n nodes for kwok to manage and waits until kwok reports them Ready.
func (c *Cluster) createNodes(ctx context.Context, cs kubernetes.Interface, p *process, n int) error {
	for i := range n {
		name := fmt.Sprintf("kwok-node-%d", i)
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{KwokNodeAnnotation: "fake"},
			Labels: map[string]string{
				"type": "kwok", corev1.LabelHostname: name,
				corev1.LabelOSStable: "linux", corev1.LabelArchStable: "amd64",
			},
		}}
		if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating node %s: %w", name, err)
		}
	}
	err := waitFor(ctx, p, fmt.Sprintf("%d Ready nodes", n), func(ctx context.Context) (bool, error) {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		ready := 0
		for _, node := range nodes.Items {
			for _, cond := range node.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready >= n, nil
	})
	if err != nil {
		return err
	}
	// The API server taints every new node not-ready; in a real cluster the node lifecycle
	// controller lifts the taint once the node reports Ready. The test bed runs no such controller
	// (it would also evict Pods from nodes it finds late): lift it here, once.
	return waitFor(ctx, p, "node taints lifted", func(ctx context.Context) (bool, error) {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for i := range nodes.Items {
			node := &nodes.Items[i]
			if node.Annotations[KwokNodeAnnotation] != "fake" {
				continue
			}
			kept := slices.DeleteFunc(slices.Clone(node.Spec.Taints), func(t corev1.Taint) bool { return t.Key == corev1.TaintNodeNotReady })
			if len(kept) == len(node.Spec.Taints) {
				continue
			}
			node.Spec.Taints = kept
			if _, err := cs.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
				return false, err
			}
		}
		return true, nil
	})
}

// waitFor polls cond until it holds, failing early, with the end of its log, when p exits.
func waitFor(ctx context.Context, p *process, what string, cond wait.ConditionWithContextFunc) error {
	var last error
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if exited, err := p.exited(); exited {
			return false, fmt.Errorf("%s exited: %v", p.name, err)
		}
		ok, err := cond(ctx)
		if err != nil {
			last = err // transient: the API server may still be settling
			return false, nil
		}
		return ok, nil
	})
	if err != nil {
		return fmt.Errorf("%s: waiting for %s: %w (last error: %v)\n--- end of %s ---\n%s", p.name, what, err, last, p.logPath, p.logTail(30))
	}
	return nil
}

// waitHealthz waits until the runnable's own health endpoint answers 200.
func waitHealthz(ctx context.Context, p *process, port int, path string) error {
	// The runnable serves a self-signed certificate on loopback: nothing to verify.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback health probe
	}}
	url := fmt.Sprintf("https://127.0.0.1:%d%s", port, path)
	return waitFor(ctx, p, url, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

// freePort asks the kernel for a free loopback port (a variable: a test hands out a taken one).
var freePort = func() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// stopRunnables stops the runnables, last started first, and removes their directory unless
// KeepRunnableLogs was called.
func (c *Cluster) stopRunnables() error {
	var errs []error
	for i := len(c.runnables) - 1; i >= 0; i-- {
		errs = append(errs, c.runnables[i].stop(runnableStopTimeout))
	}
	c.runnables = nil
	if c.runDir != "" && !c.keepRunDir {
		errs = append(errs, os.RemoveAll(c.runDir))
		c.runDir = ""
	}
	return errors.Join(errs...)
}

// RunnableLogDir is the directory holding one log file per runnable (<name>.log); empty when the
// cluster runs none.
func (c *Cluster) RunnableLogDir() string { return c.runDir }

// KeepRunnableLogs keeps RunnableLogDir when the cluster stops, for a failed test to look at.
func (c *Cluster) KeepRunnableLogs() { c.keepRunDir = true }

// RunnableLogTails writes the last lines of each runnable's log to w: what a failed test prints.
func (c *Cluster) RunnableLogTails(w io.Writer, lines int) {
	for _, p := range c.runnables {
		fmt.Fprintf(w, "--- %s: %s (last %d lines) ---\n%s\n", c.Name, p.logPath, lines, p.logTail(lines))
	}
}

// RunnableRSS is the resident memory, in bytes, of each running runnable, by binary name.
func (c *Cluster) RunnableRSS() (map[string]int64, error) {
	out := map[string]int64{}
	for _, p := range c.runnables {
		rss, err := p.rssBytes()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		out[p.name] = rss
	}
	return out, nil
}
