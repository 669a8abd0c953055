package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// completionTimeout bounds the requests of a shell completion: a shell waits for them.
const completionTimeout = 5 * time.Second

// completeMappings registers the completion of a NAMESPACE/NAME flag: the NamespaceMappings of
// every namespace of the controller's cluster, reached with k.
func completeMappings(cmd *cobra.Command, flag string, k *kubeFlags) {
	_ = cmd.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return mappingNames(k, "")
	})
}

// mappingNames lists the NamespaceMappings of the controller's cluster, for completions: NAME
// in namespace, or NAMESPACE/NAME of every namespace when namespace is "".
func mappingNames(k *kubeFlags, namespace string) ([]string, cobra.ShellCompDirective) {
	ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
	defer cancel()
	h, err := controllerHandle(ctx, k, "")
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	list := &drv1.NamespaceMappingList{}
	if err := h.Client.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	out := make([]string, 0, len(list.Items))
	for _, m := range list.Items {
		if namespace == "" {
			out = append(out, m.Namespace+"/"+m.Name)
		} else {
			out = append(out, m.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
