package parkingrule

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// Reconciler keeps the Ready condition of every ParkingRule: whether it is in force and why not.
type Reconciler struct {
	Client client.Client
}

// Setup registers the reconciler. A rule created, changed or deleted can change the verdict of
// the other rules of its namespace (the older of two duplicates going away), so every rule of
// the namespace is looked at again; status writes change no generation and trigger nothing.
func Setup(mgr ctrl.Manager) error {
	r := &Reconciler{Client: mgr.GetClient()}
	return ctrl.NewControllerManagedBy(mgr).
		Named("parkingrule").
		For(&drv1.ParkingRule{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&drv1.ParkingRule{}, handler.EnqueueRequestsFromMapFunc(r.rulesOfNamespace), builder.WithPredicates(createdOrDeleted{})).
		Complete(r)
}

// createdOrDeleted passes creations and deletions only.
type createdOrDeleted struct{ predicate.Funcs }

func (createdOrDeleted) Update(event.UpdateEvent) bool { return false }

func (r *Reconciler) rulesOfNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	list := &drv1.ParkingRuleList{}
	if err := r.Client.List(ctx, list, client.InNamespace(o.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing ParkingRules")
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, pr := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: pr.Namespace, Name: pr.Name}})
	}
	return out
}

// Reconcile sets the Ready condition of one rule from the verdict on all rules of its namespace.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	pr := &drv1.ParkingRule{}
	if err := r.Client.Get(ctx, req.NamespacedName, pr); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	list := &drv1.ParkingRuleList{}
	if err := r.Client.List(ctx, list, client.InNamespace(req.Namespace)); err != nil {
		return reconcile.Result{}, err
	}
	_, verdicts := Evaluate(list.Items)
	v := verdicts[pr.Name]
	status := metav1.ConditionFalse
	if v.InForce {
		status = metav1.ConditionTrue
	}
	base := pr.DeepCopy()
	meta.SetStatusCondition(&pr.Status.Conditions, metav1.Condition{Type: drv1.ConditionReady, Status: status,
		Reason: v.Reason, Message: v.Message, ObservedGeneration: pr.Generation})
	pr.Status.ObservedGeneration = pr.Generation
	if err := r.Client.Status().Patch(ctx, pr, client.MergeFrom(base)); err != nil && !apierrors.IsNotFound(err) {
		return reconcile.Result{}, err
	}
	return reconcile.Result{}, nil
}
