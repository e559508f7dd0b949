#!/usr/bin/perl
# Drives Paws (the AWS SDK for Perl) through the suite's plan:
#   perl -I$PAWS_LIB compat/drivers/paws_driver.pl PLAN.json
# Credentials come from the environment (Paws's default provider chain
# reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY). Prints a version
# line, then one JSON line per step, like the other drivers.
use strict;
use warnings;
use JSON::MaybeXS ();
use POSIX ();
use Scalar::Util ();
use Paws;

my $json = JSON::MaybeXS->new(utf8 => 1, canonical => 1);
$| = 1;

sub emit { print $json->encode($_[0]), "\n" }

my $plan = do {
  open my $fh, '<', $ARGV[-1] or die "cannot read plan $ARGV[-1]: $!";
  local $/;
  $json->decode(<$fh>);
};

emit({ version => sprintf('Paws %s (perl %vd)', $Paws::VERSION, $^V) });

# Paws has no notion of AWS_REGION: a Paws user names the region, so take it
# from where the suite puts it. A trailing slash would end up in every path.
(my $endpoint = $plan->{endpoint}) =~ s{/+$}{};
my $events = Paws->service('PersonalizeEvents',
  region   => $ENV{AWS_REGION} || $ENV{AWS_DEFAULT_REGION} || $plan->{region},
  endpoint => $endpoint,
);

my %vars = %{ $plan->{vars} || {} };

# Replaces "${name}" strings with plan variables (as plan.py does).
sub substitute {
  my ($v) = @_;
  if (ref $v eq 'HASH')  { return { map { $_ => substitute($v->{$_}) } keys %$v } }
  if (ref $v eq 'ARRAY') { return [ map { substitute($_) } @$v ] }
  if (defined $v and !ref $v and $v =~ /^\$\{(\w+)\}$/) {
    die { missing => "variable $1 is not set: the step that saves it failed" } unless length($vars{$1} // '');
    return $vars{$1};
  }
  return $v;
}

# Timestamps as a Paws user writes them. Paws types them as Str and sends
# the text as it is, so the suite sees both forms Paws users write: the
# ISO-8601 UTC text of Paws's own documentation for the first record of a
# list, and decimal epoch seconds in a string for the others.
sub epoch_text {
  (my $t = sprintf '%.6f', $_[0]) =~ s/\.?0+$//;
  return $t;
}
sub iso_text {
  my ($secs, $frac) = split /\./, epoch_text($_[0]);
  return POSIX::strftime('%Y-%m-%dT%H:%M:%S', gmtime $secs) . (defined $frac ? ".$frac" : '');
}

# Member names become Paws's attribute names (trackingId -> TrackingId,
# metricAttribution.eventAttributionSource -> MetricAttribution.EventAttributionSource).
sub pascal {
  my ($v) = @_;
  if (ref $v eq 'HASH')  { return { map { ucfirst($_) => pascal($v->{$_}) } keys %$v } }
  if (ref $v eq 'ARRAY') { return [ map { pascal($_) } @$v ] }
  return $v;
}

sub paws_args {
  my ($input) = @_;
  for my $list (grep { ref $input->{$_} eq 'ARRAY' } qw(eventList actionInteractions)) {
    my $n = 0;
    for my $record (@{ $input->{$list} }) {
      for my $key (grep { defined $record->{$_} } qw(sentAt timestamp)) {
        $record->{$key} = $n ? epoch_text($record->{$key}) : iso_text($record->{$key});
      }
      $n++;
    }
  }
  return %{ pascal($input) };
}

for my $step (@{ $plan->{steps} }) {
  my $op = $step->{op};
  my %result = (id => $step->{id});

  if ($step->{api} ne 'personalize-events') {
    @result{qw(status detail)} = (fail => "the Paws driver only drives personalize-events, not $step->{api}");
  } elsif (!$events->can($op)) {
    # A Paws release generated before AWS added the operation has no method
    # for it; show what it does have.
    @result{qw(status detail)} = (lacks => sprintf 'Paws %s has no %s method: Paws::PersonalizeEvents->operations is %s',
      $Paws::VERSION, $op, join(', ', $events->operations));
  } else {
    my %args = eval { paws_args(substitute($step->{input})) };
    my $err = $@ || (eval { $events->$op(%args); 1 } ? '' : $@);
    if (!$err) {
      @result{qw(status output)} = (ok => {});
    } elsif (Scalar::Util::blessed($err) and $err->isa('Paws::Exception')) {
      # Paws throws one class for every service error: the code is what a
      # Paws user tells them apart by. HTTP::Tiny hands Paws the status as
      # text; the suite wants a number.
      my $status = $err->http_status;
      @result{qw(status error)} = (error => { code => $err->code, class => $err->code,
        message => $err->message, httpStatus => defined $status ? 0 + $status : undef });
    } else {
      # Anything else never got an answer from perch: a variable no step
      # saved, Moose refusing an argument, a member this Paws does not have.
      my $why = ref $err eq 'HASH' ? $err->{missing}
              : Scalar::Util::blessed($err) && $err->can('message') ? $err->message : "$err";
      $why =~ s/\s+$//;
      @result{qw(status detail)} = (fail => $why);
    }
  }
  emit(\%result);
}
