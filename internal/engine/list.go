package engine

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// listPageSize keeps each list response small; big namespaces are read in pages.
const listPageSize = 500

// listAll reads every object of one type in one namespace, page by page.
func listAll(ctx context.Context, ri dynamic.ResourceInterface, selector string) ([]unstructured.Unstructured, error) {
	return listAllFields(ctx, ri, selector, "")
}

// listAllFields is listAll with a field selector too.
func listAllFields(ctx context.Context, ri dynamic.ResourceInterface, selector, fields string) ([]unstructured.Unstructured, error) {
	var out []unstructured.Unstructured
	opts := metav1.ListOptions{Limit: listPageSize, LabelSelector: selector, FieldSelector: fields}
	for {
		l, err := ri.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, l.Items...)
		if l.GetContinue() == "" {
			return out, nil
		}
		opts.Continue = l.GetContinue()
	}
}
