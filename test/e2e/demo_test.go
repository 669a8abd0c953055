package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// demoSteps are the titles of the steps `dr-syncer demo` prints, in order.
var demoSteps = []string{
	"clusters prod and dr running",
	"kubeconfigs written to ",
	"controller running in this process against prod",
	"RemoteCluster dr-syncer-system/dr Ready",
	"sample application created in prod namespace shop",
	"Continuous NamespaceMapping dr-syncer-system/shop synced",
	"DR Deployment shop/web parked: replicas 0, dr-syncer.io/original-replicas=3",
	"app running in prod: Deployment shop/web has 3 ready replicas: namespace shop in prod: 3 Pods, 3 ready",
	"DR namespace shop runs nothing: Pods: 0",
	"DR CronJob shop/nightly-report suspended",
	"DR Secret shop/db-credentials copied",
	"DR Service shop/web present",
	"DR Ingress shop/web present",
	"change in prod reached dr",
	"NamespaceMapping dr-syncer-system/shop Ready",
	"controller metrics report the mapping",
	"stopped the controller and both clusters, removed ",
}

// disasterSteps are the steps `dr-syncer demo --disaster-day` adds after the standby checks.
var disasterSteps = []string{
	"prod is down: the controller and prod's API server, etcd, controllers and nodes stopped",
	"cutover to dr: DR ready in ",
	"dr serves the app: Deployment shop/web has 3 ready replicas: namespace shop in dr: 3 Pods, 3 ready; Service web has 3 ready endpoints",
}

// TestDemoCheckDisasterDay runs `dr-syncer demo --check --disaster-day`: after the standby story,
// prod stops, the real cutover brings dr live from dr alone, and dr serves the app; every step
// verified, exit 0, nothing left behind.
func TestDemoCheckDisasterDay(t *testing.T) {
	d := startDemo(t, "demo", "--check", "--disaster-day")
	err := d.wait(2 * time.Minute)
	out := d.out.String()
	if err != nil {
		t.Fatalf("demo --check --disaster-day: %v\n%s", err, out)
	}
	expectSteps(t, out, append(slices.Clone(demoSteps), disasterSteps...))
	for _, want := range []string{
		"warning: final sync skipped: the source is unreachable",
		"Deployment web: replicas=0 → replicas=3",
		"cutover done with 3 changes and 2 warnings",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the cutover's output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "✗") {
		t.Errorf("a step failed:\n%s", out)
	}
	d.expectCleanedUp(t)
}

// TestDemoCheck runs `dr-syncer demo --check` as a user would and expects every step verified,
// exit code 0, and nothing left behind: no control plane process, no temporary folder.
func TestDemoCheck(t *testing.T) {
	d := startDemo(t, "demo", "--check")
	err := d.wait(90 * time.Second)
	out := d.out.String()
	if err != nil {
		t.Fatalf("demo --check: %v\n%s", err, out)
	}
	expectSteps(t, out, demoSteps)
	if strings.Contains(out, "✗") {
		t.Errorf("a step failed:\n%s", out)
	}
	d.expectCleanedUp(t)
}

// TestDemoInterrupt runs the live demo and stops it the ways a user does: Ctrl-C (SIGINT), after
// using the kubeconfig it printed with kubectl, and closing the terminal (SIGHUP). Each time it
// exits 0 and leaves nothing behind.
func TestDemoInterrupt(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			d := startDemo(t, "demo")
			waitFor := func(what string) {
				t.Helper()
				deadline := time.Now().Add(60 * time.Second)
				for !strings.Contains(d.out.String(), what) {
					if time.Now().After(deadline) || d.exited() {
						t.Fatalf("demo output lacks %q:\n%s", what, d.out.String())
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			waitFor("until you press Ctrl-C")
			waitFor("NAMESPACEMAPPING") // the first live table
			expectSteps(t, d.out.String(), demoSteps[:len(demoSteps)-1])
			// The live table shows the app's Pods: running in prod, none in the parked dr.
			for _, want := range []string{`prod\s+shop\s+3\s+3`, `dr\s+shop\s+0\s+0`} {
				if !regexp.MustCompile(want).MatchString(d.out.String()) {
					t.Errorf("the live table lacks %s:\n%s", want, d.out.String())
				}
			}

			if sig == syscall.SIGINT {
				// What the demo tells the user to run.
				kubectl := exec.Command(filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl"),
					"--kubeconfig", filepath.Join(d.dir(t), "prod.kubeconfig"), "get", "nsmap", "-A")
				got, err := kubectl.CombinedOutput()
				if err != nil || !regexp.MustCompile(`dr-syncer-system\s+shop\s+shop\s+dr\s+Continuous\s+Synced`).Match(got) {
					t.Errorf("kubectl get nsmap -A with the demo's kubeconfig: %v\n%s", err, got)
				}
			}

			if err := d.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := d.wait(30 * time.Second); err != nil {
				t.Fatalf("demo after %v: %v\n%s", sig, err, d.out.String())
			}
			expectSteps(t, d.out.String(), demoSteps[len(demoSteps)-1:])
			d.expectCleanedUp(t)
		})
	}
}

// demoProcess is a running `dr-syncer demo` and the processes it started.
type demoProcess struct {
	*process
	mu     sync.Mutex
	kids   map[int]procInfo // children seen while it ran, by PID
	polled chan struct{}
}

// procInfo identifies a process across PID reuse.
type procInfo struct {
	comm      string
	startTime string
}

func startDemo(t *testing.T, args ...string) *demoProcess {
	t.Helper()
	d := &demoProcess{process: startProcess(t, args...), kids: map[int]procInfo{}, polled: make(chan struct{})}
	// Record the demo's children while it runs.
	go func() {
		defer close(d.polled)
		for {
			for pid, info := range children(d.cmd.Process.Pid) {
				d.mu.Lock()
				d.kids[pid] = info
				d.mu.Unlock()
			}
			select {
			case <-d.done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return d
}

// wait waits for the demo to exit and returns its exit error.
func (d *demoProcess) wait(timeout time.Duration) error {
	err := d.process.wait(timeout)
	if d.exited() {
		<-d.polled
	}
	return err
}

// dir is the temporary folder the demo printed.
func (d *demoProcess) dir(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`kubeconfigs written to (\S+):`).FindStringSubmatch(d.out.String())
	if m == nil {
		t.Fatalf("the demo printed no kubeconfig folder:\n%s", d.out.String())
	}
	return m[1]
}

// expectCleanedUp checks, after the demo exited, that its folder is gone and that every process
// it started (per cluster an etcd, a kube-apiserver, a kube-controller-manager, a kube-scheduler
// and a kwok) has ended.
func (d *demoProcess) expectCleanedUp(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(d.dir(t)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the demo's folder %s is still there (stat: %v)", d.dir(t), err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	started := map[string]int{}
	for pid, info := range d.kids {
		started[info.comm]++
		if now, ok := proc(pid); ok && now.startTime == info.startTime {
			t.Errorf("%s (pid %d) started by the demo still runs", info.comm, pid)
		}
	}
	// envtest also runs `kube-apiserver --help` to probe flags: count at least one server each.
	// /proc truncates a command name to 15 characters.
	for _, comm := range []string{"etcd", "kube-apiserver", "kube-controller", "kube-scheduler", "kwok"} {
		if started[comm] < 2 {
			t.Errorf("saw the demo start %v, want at least 2 %s", started, comm)
		}
	}
}

// children lists the processes whose parent is ppid, from /proc.
func children(ppid int) map[int]procInfo {
	entries, _ := os.ReadDir("/proc")
	out := map[int]procInfo{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		if info, parent, ok := parseStat(raw); ok && parent == ppid {
			out[pid] = info
		}
	}
	return out
}

// proc reads one process from /proc; false when it no longer exists (or is a zombie).
func proc(pid int) (procInfo, bool) {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procInfo{}, false
	}
	info, _, ok := parseStat(raw)
	return info, ok
}

// parseStat reads comm, state, ppid and starttime from /proc/<pid>/stat; zombies count as gone.
func parseStat(raw []byte) (procInfo, int, bool) {
	s := string(raw)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return procInfo{}, 0, false
	}
	fields := strings.Fields(s[closing+1:]) // state ppid pgrp ... ; starttime is field 22 of the line
	if len(fields) < 20 || fields[0] == "Z" {
		return procInfo{}, 0, false
	}
	ppid, _ := strconv.Atoi(fields[1])
	return procInfo{comm: s[open+1 : closing], startTime: fields[19]}, ppid, true
}

func expectSteps(t *testing.T, out string, titles []string) {
	t.Helper()
	for _, title := range titles {
		if !strings.Contains(out, "✓ "+title) {
			t.Errorf("no ✓ line for %q", title)
		}
	}
}

// process is a dr-syncer process a test started, with its output.
type process struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// startProcess runs the dr-syncer binary with args. At the end of the test a process still
// running gets SIGINT, and SIGKILL if it has not exited 30s later; its output is logged if the
// test failed.
func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(buildBinary(t), args...), out: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		p.err = p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Signal(syscall.SIGINT)
			if p.wait(30*time.Second) != nil {
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
		if t.Failed() {
			t.Logf("output of %s (pid %d):\n%s", strings.Join(args, " "), p.cmd.Process.Pid, p.out.String())
		}
	})
	return p
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit and returns its exit error.
func (p *process) wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return errors.New("still running after " + timeout.String())
	}
}

// lockedBuffer collects a process's output, safe for one writer and concurrent readers. It also
// stamps each line with the time it arrived: log timestamps have only second precision.
type lockedBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
	lines   []stampedLine
}

// stampedLine is one line of output and when it arrived.
type stampedLine struct {
	at   time.Time
	text string
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		b.lines = append(b.lines, stampedLine{at: now, text: string(b.partial[:i])})
		b.partial = b.partial[i+1:]
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Lines returns the complete lines so far.
func (b *lockedBuffer) Lines() []stampedLine {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]stampedLine(nil), b.lines...)
}
