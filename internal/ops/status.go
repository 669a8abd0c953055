package ops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/transform"
)

// Status is what `dr-syncer status` shows: every NamespaceMapping and RemoteCluster of a namespace.
type Status struct {
	// Time is when the status was read; ages are relative to it.
	Time           time.Time             `json:"time"`
	Mappings       []MappingStatus       `json:"namespaceMappings"`
	RemoteClusters []RemoteClusterStatus `json:"remoteClusters"`
}

// MappingStatus is one NamespaceMapping, flattened for a table.
type MappingStatus struct {
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Mode        string `json:"mode"`
	Phase       string `json:"phase"`
	Paused      bool   `json:"paused"`
	// LastSuccessfulSync is the recovery point; RPOSeconds its age.
	LastSuccessfulSync *time.Time `json:"lastSuccessfulSync,omitempty"`
	RPOSeconds         *int64     `json:"rpoSeconds,omitempty"`
	LastSync           *time.Time `json:"lastSync,omitempty"`
	// LiveSince is when cutover brought the DR namespace live (status.liveSince).
	LiveSince *time.Time `json:"liveSince,omitempty"`
	NextSync  *time.Time `json:"nextSync,omitempty"`
	// Stats counts what the last full sync did.
	Stats   *drv1.SyncStats `json:"lastSyncStats,omitempty"`
	Ready   string          `json:"ready"`
	Reason  string          `json:"reason,omitempty"`
	Message string          `json:"message,omitempty"`
}

// RemoteClusterStatus is one RemoteCluster, flattened for a table.
type RemoteClusterStatus struct {
	Namespace string     `json:"namespace"`
	Name      string     `json:"name"`
	Ready     string     `json:"ready"`
	Reason    string     `json:"reason,omitempty"`
	Version   string     `json:"version,omitempty"`
	LastProbe *time.Time `json:"lastProbe,omitempty"`
	Message   string     `json:"message,omitempty"`
}

// CollectStatus reads the NamespaceMappings and RemoteClusters of namespace ("" = all namespaces).
func CollectStatus(ctx context.Context, c client.Client, namespace string, now time.Time) (*Status, error) {
	var opts []client.ListOption
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	maps := &drv1.NamespaceMappingList{}
	if err := c.List(ctx, maps, opts...); err != nil {
		if meta.IsNoMatchError(err) {
			return nil, fmt.Errorf("this cluster has no NamespaceMapping type (CRD not installed): point --kubeconfig/--context at the cluster the dr-syncer controller runs in")
		}
		return nil, fmt.Errorf("listing NamespaceMappings: %w", err)
	}
	rcs := &drv1.RemoteClusterList{}
	if err := c.List(ctx, rcs, opts...); err != nil {
		return nil, fmt.Errorf("listing RemoteClusters: %w", err)
	}
	st := &Status{Time: now, Mappings: []MappingStatus{}, RemoteClusters: []RemoteClusterStatus{}}
	for i := range maps.Items {
		st.Mappings = append(st.Mappings, CollectMapping(&maps.Items[i], now))
	}
	for i := range rcs.Items {
		rc := &rcs.Items[i]
		ready, reason, msg := condition(rc.Status.Conditions)
		st.RemoteClusters = append(st.RemoteClusters, RemoteClusterStatus{
			Namespace: rc.Namespace, Name: rc.Name, Ready: ready, Reason: reason, Message: msg,
			Version: rc.Status.ServerVersion, LastProbe: timeOf(rc.Status.LastProbeTime),
		})
	}
	slices.SortFunc(st.Mappings, func(a, b MappingStatus) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	slices.SortFunc(st.RemoteClusters, func(a, b RemoteClusterStatus) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return st, nil
}

// CollectMapping flattens one NamespaceMapping as status shows it.
func CollectMapping(m *drv1.NamespaceMapping, now time.Time) MappingStatus {
	src := m.Spec.SourceCluster
	if src == "" {
		src = transform.LocalCluster
	}
	ready, reason, msg := condition(m.Status.Conditions)
	ms := MappingStatus{
		Namespace: m.Namespace, Name: m.Name,
		Source:      src + "/" + m.Spec.SourceNamespace,
		Destination: m.Spec.DestinationCluster + "/" + m.Spec.DestNamespace(),
		Mode:        string(m.Spec.Mode()), Phase: string(m.Status.Phase), Paused: m.Spec.Paused,
		LastSuccessfulSync: timeOf(m.Status.LastSuccessfulSyncTime),
		LastSync:           timeOf(m.Status.LastSyncTime),
		LiveSince:          timeOf(m.Status.LiveSince),
		NextSync:           timeOf(m.Status.NextSyncTime),
		Stats:              m.Status.LastSyncStats,
		Ready:              ready, Reason: reason, Message: msg,
	}
	if ms.LastSuccessfulSync != nil {
		rpo := int64(now.Sub(*ms.LastSuccessfulSync).Seconds())
		ms.RPOSeconds = &rpo
	}
	return ms
}

// condition returns the Ready condition's status, reason and message ("Unknown" when absent).
func condition(conds []metav1.Condition) (status, reason, message string) {
	c := meta.FindStatusCondition(conds, drv1.ConditionReady)
	if c == nil {
		return string(metav1.ConditionUnknown), "", ""
	}
	return string(c.Status), c.Reason, c.Message
}

func timeOf(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}
