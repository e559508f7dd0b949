package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeruntime"
)

// A domain recommender through the Go SDK: an ECOMMERCE group's views,
// a most-viewed recommender trained on them, its answers by its ARN, and
// its life cycle.
func TestRecommendersThroughTheSDK(t *testing.T) {
	s := startServer(t, t.TempDir())
	ctx := context.Background()
	cp := controlClient(s.endpoint)
	ev := clusterEvents(s.endpoint)
	rt := runtimeClient(s.endpoint)

	g, err := cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: aws.String("store"), Domain: ptypes.DomainEcommerce})
	if err != nil {
		t.Fatal(err)
	}
	schema, err := cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: aws.String("store-interactions"), Domain: ptypes.DomainEcommerce,
		Schema: aws.String(`{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[` +
			`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
			`{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cp.CreateDataset(ctx, &personalize.CreateDatasetInput{Name: aws.String("store-interactions"), DatasetGroupArn: g.DatasetGroupArn,
		SchemaArn: schema.SchemaArn, DatasetType: aws.String("Interactions")}); err != nil {
		t.Fatal(err)
	}
	tracker, err := cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: aws.String("web"), DatasetGroupArn: g.DatasetGroupArn})
	if err != nil {
		t.Fatal(err)
	}
	// 60 users view 20 items each: item-0 most, item-29 least.
	for u := range 60 {
		var list []etypes.Event
		for i := range 20 {
			item := (u*7 + i*i) % 30
			if i < 10 {
				item = i
			}
			list = append(list, etypes.Event{EventType: aws.String("View"), ItemId: aws.String(fmt.Sprint("item-", item)),
				SentAt: aws.Time(time.Unix(1700000000+int64(u*100+i), 0))})
			if len(list) == 10 {
				if _, err := ev.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: tracker.TrackingId,
					UserId: aws.String(fmt.Sprint("user-", u)), SessionId: aws.String(fmt.Sprint("s-", u)), EventList: list}); err != nil {
					t.Fatal(err)
				}
				list = nil
			}
		}
	}

	created, err := cp.CreateRecommender(ctx, &personalize.CreateRecommenderInput{Name: aws.String("most-viewed"), DatasetGroupArn: g.DatasetGroupArn,
		RecipeArn:         aws.String("arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views"),
		RecommenderConfig: &ptypes.RecommenderConfig{MinRecommendationRequestsPerSecond: aws.Int32(2)}})
	if err != nil {
		t.Fatal(err)
	}
	arn := created.RecommenderArn
	var r *ptypes.Recommender
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		d, err := cp.DescribeRecommender(ctx, &personalize.DescribeRecommenderInput{RecommenderArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		r = d.Recommender
		if aws.ToString(r.Status) == "ACTIVE" || aws.ToString(r.Status) == "CREATE FAILED" || time.Now().After(deadline) {
			break
		}
	}
	if aws.ToString(r.Status) != "ACTIVE" || aws.ToString(r.RecipeArn) != "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views" ||
		aws.ToInt32(r.RecommenderConfig.MinRecommendationRequestsPerSecond) != 2 {
		t.Fatalf("recommender %s (%s): %+v", aws.ToString(r.Status), aws.ToString(r.FailureReason), r)
	}
	got, err := rt.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{RecommenderArn: arn, NumResults: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ItemList) != 5 || aws.ToString(got.ItemList[0].ItemId) != "item-0" || got.ItemList[0].Score != nil {
		t.Errorf("most viewed: %+v", got.ItemList)
	}
	list, err := cp.ListRecommenders(ctx, &personalize.ListRecommendersInput{DatasetGroupArn: g.DatasetGroupArn})
	if err != nil || len(list.Recommenders) != 1 || aws.ToString(list.Recommenders[0].RecommenderArn) != aws.ToString(arn) {
		t.Errorf("ListRecommenders = %+v, %v", list, err)
	}
	if _, err := cp.StopRecommender(ctx, &personalize.StopRecommenderInput{RecommenderArn: arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{RecommenderArn: arn}); errorCode(err) != "InvalidInputException" {
		t.Errorf("a stopped recommender: %v", err)
	}
	if _, err := cp.StartRecommender(ctx, &personalize.StartRecommenderInput{RecommenderArn: arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.UpdateRecommender(ctx, &personalize.UpdateRecommenderInput{RecommenderArn: arn,
		RecommenderConfig: &ptypes.RecommenderConfig{MinRecommendationRequestsPerSecond: aws.Int32(3)}}); err != nil {
		t.Fatal(err)
	}
	d, err := cp.DescribeRecommender(ctx, &personalize.DescribeRecommenderInput{RecommenderArn: arn})
	if err != nil || aws.ToString(d.Recommender.Status) != "ACTIVE" || d.Recommender.LatestRecommenderUpdate == nil ||
		aws.ToInt32(d.Recommender.RecommenderConfig.MinRecommendationRequestsPerSecond) != 3 {
		t.Errorf("after start and update: %+v, %v", d, err)
	}
	if _, err := cp.DeleteRecommender(ctx, &personalize.DeleteRecommenderInput{RecommenderArn: arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.DescribeRecommender(ctx, &personalize.DescribeRecommenderInput{RecommenderArn: arn}); errorCode(err) != "ResourceNotFoundException" {
		t.Errorf("a deleted recommender: %v", err)
	}
}
