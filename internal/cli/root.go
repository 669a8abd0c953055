// Package cli holds the dr-syncer commands (cobra): the controller, the demo and the DR
// operations (plan, sync, cutover, failback, status, trigger).
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// ExitError carries a specific process exit code (plan uses 2 for "changes").
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// NewRootCommand builds the dr-syncer command tree.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "dr-syncer",
		Short: "Keep a disaster-recovery cluster's namespaces in step with production",
		Long: `dr-syncer replicates namespaces from a production Kubernetes cluster into a
disaster-recovery (DR) cluster as a parked standby image, and brings it live on the day.`,
		Example: `  # run the controller against the current kubeconfig
  dr-syncer controller --namespace dr-syncer-system

  # print the version
  dr-syncer version`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Installed as kubectl-dr_syncer, kubectl runs it as "kubectl dr-syncer": say so in help.
	if strings.HasPrefix(filepath.Base(os.Args[0]), "kubectl-") {
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl dr-syncer"}
	}
	root.AddCommand(newVersionCommand(), newControllerCommand(),
		newPlanCommand(), newSyncCommand(), newCutoverCommand(), newFailbackCommand(), newDrillCommand(), newStatusCommand(), newTriggerCommand(), newDemoCommand())
	return root
}

// Execute runs the command line and returns the process exit code.
func Execute() int {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	err := NewRootCommand().ExecuteContext(ctx)
	var exit *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.Code
	default:
		fmt.Fprintln(os.Stderr, "Error:", err)
		return 1
	}
}
