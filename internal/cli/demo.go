package cli

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dr-syncer/dr-syncer/internal/demo"
)

func newDemoCommand() *cobra.Command {
	var assetsDir string
	var check bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try dr-syncer on two local control planes, no cluster needed",
		Long: `Start two local Kubernetes control planes, "prod" and "dr" (kube-apiserver and etcd, no nodes),
run the controller in this process against prod, and replicate a sample application:

  1. a RemoteCluster "dr" in namespace dr-syncer-system, with dr's kubeconfig in a Secret;
  2. namespace "shop" in prod: a Deployment with 3 replicas, a Service, an Ingress, a ConfigMap,
     a Secret and a CronJob;
  3. a Continuous NamespaceMapping that copies "shop" to dr as a parked standby (Deployment at
     0 replicas, CronJob suspended);
  4. a change to the ConfigMap in prod, timed until dr has it.

Then a small table shows the mapping's phase and counts, redrawn every second, and the
ConfigMap is changed again every 10 seconds. The kubeconfigs of both clusters are written to a
temporary folder (printed) so that you can look around with kubectl. Ctrl-C stops the
controller and both control planes and removes the folder.

--check runs the same story without the live table, prints every step as ✓ or ✗, and exits 0
only if every step was verified.

kube-apiserver and etcd ` + demo.KubeVersion + ` come from --assets-dir; without it from $KUBEBUILDER_ASSETS,
else ${XDG_CACHE_HOME:-$HOME/.cache}/dr-syncer/k8s-` + demo.KubeVersion + `, where ` + "`make testbin`" + ` builds them.`,
		Example: `  # from a checkout: build everything and run the demo
  make demo

  # with the binaries already built
  dr-syncer demo --assets-dir ~/.cache/dr-syncer/k8s-` + demo.KubeVersion + `

  # while it runs, in another terminal (the demo prints the folder)
  kubectl --kubeconfig /tmp/dr-syncer-demo-123/prod.kubeconfig get nsmap -A
  kubectl --kubeconfig /tmp/dr-syncer-demo-123/dr.kubeconfig -n shop get deploy,cronjob

  # verify the whole story non-interactively (exit code 0 when every step passed)
  dr-syncer demo --check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if assetsDir == "" {
				assetsDir = demo.DefaultAssetsDir()
			}
			if err := demo.CheckAssets(assetsDir); err != nil {
				return err
			}
			// Closing the terminal or the reading end of a pipe must stop the control planes too:
			// they run in process groups of their own and would outlive the demo.
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGHUP, syscall.SIGPIPE)
			defer stop()
			w := cmd.OutOrStdout()
			tty := false
			if f, ok := w.(*os.File); ok {
				tty = term.IsTerminal(int(f.Fd()))
			}
			return demo.Run(ctx, demo.Options{AssetsDir: assetsDir, Check: check, Out: w, TTY: tty})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&assetsDir, "assets-dir", "", "directory holding kube-apiserver and etcd (default $KUBEBUILDER_ASSETS, else ${XDG_CACHE_HOME:-$HOME/.cache}/dr-syncer/k8s-"+demo.KubeVersion+")")
	fs.BoolVar(&check, "check", false, "run the story once without the live table, verify every step and exit 0 only if all passed")
	return cmd
}
