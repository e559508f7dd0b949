use Paws;
use Paws::Credential::Explicit;

my $events = Paws->service('PersonalizeEvents', region => 'us-east-1',
  endpoint    => 'http://127.0.0.1:8080', # no trailing slash
  credentials => Paws::Credential::Explicit->new(access_key => 'local', secret_key => 'local'));
$events->PutEvents(
  TrackingId => $ENV{TRACKING_ID}, UserId => 'user-1', SessionId => 'session-1',
  EventList  => [{ EventId => 'paws-1', EventType => 'click', ItemId => 'item-42',
                   SentAt => '2023-11-14T22:13:20', Properties => '{"device": "phone"}' }],
);
