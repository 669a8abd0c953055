package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/dr-syncer/dr-syncer/internal/ops"
)

// exitNotReady is the exit status of cutover --wait and drill when workloads did not come up in
// time (cutover); drill exits 1 for that, as for any failed drill.
const exitNotReady = 3

// waitFlags are --wait and --timeout of cutover (drill has --timeout only).
type waitFlags struct {
	enabled bool
	timeout time.Duration
}

func (f *waitFlags) register(cmd *cobra.Command, usage string) {
	fs := cmd.Flags()
	fs.BoolVar(&f.enabled, "wait", true, usage+" (--wait=false: return at once)")
	f.registerTimeout(cmd)
}

func (f *waitFlags) registerTimeout(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&f.timeout, "timeout", ops.DefaultWaitTimeout, "how long to wait for the workloads to be ready (a positive duration such as 90s or 10m)")
}

// checkTimeout refuses a --timeout that is not positive: 0 or a negative duration would
// otherwise wait the default 10 minutes, not what was asked.
func (f *waitFlags) checkTimeout() error {
	if f.timeout <= 0 {
		return fmt.Errorf("--timeout must be a positive duration such as 90s or 10m, not %s", f.timeout)
	}
	return nil
}

// waitOutput is the wait for readiness in cutover's -o json|yaml document.
type waitOutput struct {
	// Ready tells whether every workload was ready by the timeout.
	Ready bool `json:"ready"`
	// ReadySeconds counts from the start of the cutover until every workload was ready, or until
	// the wait gave up.
	ReadySeconds float64         `json:"readySeconds"`
	Workloads    []drillWorkload `json:"workloads"`
}

// waitReady waits for the activated workloads of a cutover in s's DR namespace, printing each to
// w as it becomes ready, then the time since start. Not all ready at the timeout: the list of
// those that are not, and an ExitError with status 3.
func (f *waitFlags) waitReady(ctx context.Context, w io.Writer, s *ops.Scope, refs []ops.WorkloadRef, start time.Time) (*waitOutput, error) {
	res := &waitOutput{Workloads: []drillWorkload{}}
	if len(refs) == 0 {
		res.Ready, res.ReadySeconds = true, round1(time.Since(start))
		fmt.Fprintf(w, "DR ready in %s: no workload to wait for\n", seconds(time.Since(start)))
		return res, nil
	}
	fmt.Fprintf(w, "waiting up to %s for %d workloads in %s/%s to be ready\n", f.timeout, len(refs), s.Dest.Name, s.DestNamespace)
	states, err := ops.WaitReady(ctx, s.Dest, s.DestNamespace, refs, ops.WaitOptions{
		Start: start, Timeout: f.timeout, Progress: readyPrinter(w),
	})
	res.ReadySeconds = round1(time.Since(start))
	res.Workloads = workloadRows(states)
	switch {
	case errors.Is(err, ops.ErrNotReady):
		writeNotReady(w, states, f.timeout)
		return res, &ExitError{Code: exitNotReady}
	case err != nil:
		return res, fmt.Errorf("waiting for the workloads in %s/%s: %w", s.Dest.Name, s.DestNamespace, err)
	}
	res.Ready = true
	fmt.Fprintf(w, "DR ready in %s\n", seconds(time.Since(start)))
	return res, nil
}

// readyPrinter prints a line when a workload becomes ready.
func readyPrinter(w io.Writer) func(ops.Readiness) {
	return func(r ops.Readiness) {
		if r.Ready {
			fmt.Fprintf(w, "  %s %s ready after %s\n", r.Kind, r.Name, seconds(r.After))
		}
	}
}

// writeNotReady lists the workloads that were not ready at the timeout, with why.
func writeNotReady(w io.Writer, states []ops.Readiness, timeout time.Duration) {
	n := 0
	for _, r := range states {
		if !r.Ready {
			n++
		}
	}
	fmt.Fprintf(w, "not ready after %s: %d of %d workloads\n", timeout, n, len(states))
	for _, r := range states {
		if !r.Ready {
			fmt.Fprintf(w, "  %s %s: %s\n", r.Kind, r.Name, r.Message)
		}
	}
}

// seconds renders a duration as "12.4s".
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}
