package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
)

// kubeFlags are kubectl's flags for reaching one cluster from a trusted kubeconfig
// (genericclioptions.ConfigFlags), registered under a prefix: "source-" and "dest-" for the two
// sides of the flag form, "" for the controller's cluster (--kubeconfig, --context, --as, ...).
type kubeFlags struct {
	prefix string
	// role names the cluster in help texts and messages: "source cluster", "controller's cluster".
	role  string
	flags *genericclioptions.ConfigFlags
}

// kubeFlagNames are the ConfigFlags each side takes, in help order.
var kubeFlagNames = []string{"kubeconfig", "context", "cluster", "user", "as", "as-group", "as-uid", "request-timeout"}

var kubeFlagUsage = map[string]string{
	"kubeconfig":      "kubeconfig of the %s (default $KUBECONFIG or ~/.kube/config)",
	"context":         "kubeconfig context of the %s (default the current context)",
	"cluster":         "kubeconfig cluster of the %s (default the context's)",
	"user":            "kubeconfig user of the %s (default the context's)",
	"as":              "user to impersonate in the %s",
	"as-group":        "group to impersonate in the %s (repeat for several)",
	"as-uid":          "UID to impersonate in the %s",
	"request-timeout": "timeout of one request to the %s, e.g. 30s (0: dr-syncer's 30s)",
}

func newKubeFlags(prefix, role string) *kubeFlags {
	s := func() *string { v := ""; return &v }
	timeout := "0"
	return &kubeFlags{prefix: prefix, role: role, flags: &genericclioptions.ConfigFlags{
		KubeConfig: s(), Context: s(), ClusterName: s(), AuthInfoName: s(),
		Impersonate: s(), ImpersonateGroup: &[]string{}, ImpersonateUID: s(), Timeout: &timeout,
	}}
}

// register adds the flags to fs under the prefix, with help texts that name the cluster.
func (k *kubeFlags) register(fs *pflag.FlagSet) {
	tmp := pflag.NewFlagSet("kube", pflag.ContinueOnError)
	k.flags.AddFlags(tmp)
	for _, name := range kubeFlagNames {
		f := tmp.Lookup(name)
		usage := fmt.Sprintf(kubeFlagUsage[name], k.role)
		if name == "kubeconfig" && k.prefix == "" {
			usage = fmt.Sprintf("kubeconfig of the %s (default in-cluster in a pod, else $KUBECONFIG or ~/.kube/config)", k.role)
		}
		fs.AddFlag(&pflag.Flag{Name: k.flag(name), Value: f.Value, DefValue: f.DefValue, Usage: usage})
	}
}

// flag is the full name of one of the flags.
func (k *kubeFlags) flag(name string) string { return k.prefix + name }

// changed lists the flags given on the command line, with dashes.
func (k *kubeFlags) changed(fs *pflag.FlagSet) []string {
	var out []string
	for _, name := range kubeFlagNames {
		if fs.Changed(k.flag(name)) {
			out = append(out, "--"+k.flag(name))
		}
	}
	return out
}

// where says which kubeconfig the flags read, for messages.
func (k *kubeFlags) where() string {
	if *k.flags.KubeConfig != "" {
		return *k.flags.KubeConfig
	}
	return "$KUBECONFIG or ~/.kube/config"
}

// contexts lists the contexts of the kubeconfig the flags name, sorted.
func (k *kubeFlags) contexts() ([]string, error) {
	raw, err := k.flags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(raw.Contexts))
	for n := range raw.Contexts {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// load loads the kubeconfig (trusted: exec plugins and the like work as in kubectl) with the
// flags' overrides, and returns the context's name.
func (k *kubeFlags) load() (*rest.Config, string, error) {
	pathFlag, contextFlag := "--"+k.flag("kubeconfig"), "--"+k.flag("context")
	if _, err := k.timeout(); err != nil {
		return nil, "", err
	}
	loader := k.flags.ToRawKubeConfigLoader()
	raw, err := loader.RawConfig()
	if err != nil {
		return nil, "", fmt.Errorf("%s: reading %s: %w", pathFlag, k.where(), err)
	}
	if len(raw.Contexts) == 0 {
		return nil, "", fmt.Errorf("no kubeconfig context found in %s: pass %s (and %s)", k.where(), pathFlag, contextFlag)
	}
	names, _ := k.contexts()
	name := *k.flags.Context
	if name == "" {
		name = raw.CurrentContext
	}
	if name == "" {
		return nil, "", fmt.Errorf("%s has no current context: pass %s, one of %s", k.where(), contextFlag, strings.Join(names, ", "))
	}
	if _, ok := raw.Contexts[name]; !ok {
		return nil, "", fmt.Errorf("%s %q: no such context in %s; available: %s", contextFlag, name, k.where(), strings.Join(names, ", "))
	}
	cfg, err := loader.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig %s, context %s: %w", k.where(), name, err)
	}
	return cfg, name, nil
}

// inCluster returns the in-cluster config with the impersonation and timeout flags applied, when
// no kubeconfig, context, cluster or user is given and the command runs in a pod.
func (k *kubeFlags) inCluster() (*rest.Config, bool, error) {
	f := k.flags
	if *f.KubeConfig != "" || *f.Context != "" || *f.ClusterName != "" || *f.AuthInfoName != "" {
		return nil, false, nil
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return nil, false, nil
	}
	cfg.Impersonate = rest.ImpersonationConfig{UserName: *f.Impersonate, UID: *f.ImpersonateUID, Groups: *f.ImpersonateGroup}
	if cfg.Timeout, err = k.timeout(); err != nil {
		return nil, false, err
	}
	return cfg, true, nil
}

// timeout reads the request-timeout flag as kubectl does: a duration, or whole seconds.
func (k *kubeFlags) timeout() (time.Duration, error) {
	v := *k.flags.Timeout
	if v == "" || v == "0" {
		return 0, nil
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, nil
	}
	return 0, fmt.Errorf("--%s %q: want a duration such as 30s, or whole seconds", k.flag("request-timeout"), v)
}

// completeContexts registers the completion of the context flag: the contexts of the kubeconfig
// named by the kubeconfig flag (or $KUBECONFIG).
func (k *kubeFlags) completeContexts(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc(k.flag("context"), func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		names, err := k.contexts()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
}
