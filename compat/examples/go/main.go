package main

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
)

var endpoint = "http://127.0.0.1:8080"

func main() {
	client := personalizeevents.New(personalizeevents.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"}, nil
		}),
	})
	_, err := client.PutEvents(context.Background(), &personalizeevents.PutEventsInput{
		TrackingId: aws.String(os.Getenv("TRACKING_ID")),
		UserId:     aws.String("user-1"),
		SessionId:  aws.String("session-1"),
		EventList: []types.Event{{
			EventId: aws.String("go-1"), EventType: aws.String("click"), ItemId: aws.String("item-42"),
			SentAt: aws.Time(time.Now()), Properties: aws.String(`{"device": "phone"}`),
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
}
