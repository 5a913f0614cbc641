#!/usr/bin/perl
# The mutant list's reader and applier, for run_mutants.sh (perl: part of every Debian base).
#
#   mutants.pl check LIST ROOT                 one line per mutant: "ID<TAB>ok" or "ID<TAB>stale: why"
#   mutants.pl select LIST [N SEED]            the ids to run, grouped by file: all of them, or a
#                                              seeded sample of N that are not listed as equivalent
#   mutants.pl field LIST ID KEY               one field of a mutant (file, rule, equivalent)
#   mutants.pl apply LIST ID ORIG DEST         writes ORIG/file with the mutation to DEST/file
#   mutants.pl sync ORIG DEST < files0         copies each NUL-separated path whose content differs
#
# Files are always written anew (fresh mtime), never with the original's time stamp: a restored
# file must look newer than the object compiled from its mutant, or make would keep the mutant.
use strict;
use warnings;

sub slurp {
  my ($path) = @_;
  open(my $fh, '<:raw', $path) or return undef;
  local $/;
  my $s = <$fh>;
  close $fh;
  return $s;
}

sub spew {
  my ($path, $content) = @_;
  my $tmp = "$path.mutant-tmp";
  open(my $fh, '>:raw', $tmp) or die "cannot write $tmp: $!\n";
  print $fh $content;
  close $fh or die "cannot write $tmp: $!\n";
  rename($tmp, $path) or die "cannot rename $tmp: $!\n";
}

# The list: blocks that start with "[id]", then "key: value" lines; '#' starts a comment line.
sub parse {
  my ($list) = @_;
  my $text = slurp($list) // die "cannot read $list\n";
  my (@mutants, %seen, $cur);
  my $n = 0;
  for my $line (split /\n/, $text) {
    ++$n;
    next if $line =~ /^\s*(#|$)/;
    if ($line =~ /^\[([A-Za-z0-9_.-]+)\]\s*$/) {
      die "$list:$n: mutant '$1' is listed twice\n" if $seen{$1}++;
      $cur = {id => $1, line => $n};
      push @mutants, $cur;
    } elsif ($line =~ /^(file|rule|after|find|repl|equivalent):\s?(.*?)\s*$/) {
      die "$list:$n: '$1' outside a [mutant] block\n" unless $cur;
      die "$list:$n: '$1' given twice for $cur->{id}\n" if exists $cur->{$1};
      my ($k, $v) = ($1, $2);
      $v =~ s/^\s+//;
      $cur->{$k} = $v;
    } else {
      die "$list:$n: cannot read '$line'\n";
    }
  }
  for my $m (@mutants) {
    for my $k (qw(file rule find repl)) {
      die "$list:$m->{line}: mutant $m->{id} has no '$k:'\n" unless exists $m->{$k};
    }
    die "$list:$m->{line}: mutant $m->{id}: find is empty\n" if $m->{find} eq '';
    die "$list:$m->{line}: mutant $m->{id}: repl equals find\n" if $m->{find} eq $m->{repl};
  }
  return @mutants;
}

sub count_of {
  my ($hay, $needle, $from) = @_;
  my ($count, $pos, $first) = (0, $from // 0, -1);
  while ((my $i = index($hay, $needle, $pos)) >= 0) {
    $first = $i if $count == 0;
    ++$count;
    $pos = $i + 1;
  }
  return ($count, $first);
}

# (offset of the snippet, undef) or (undef, why it is stale).
sub locate {
  my ($m, $content) = @_;
  return (undef, "$m->{file} does not exist") unless defined $content;
  my $from = 0;
  if (defined $m->{after}) {
    my ($n, $at) = count_of($content, $m->{after});
    return (undef, "anchor '$m->{after}' occurs $n times (want once)") unless $n == 1;
    $from = $at + length($m->{after});
    my ($k, $i) = count_of($content, $m->{find}, $from);
    return (undef, "snippet '$m->{find}' not found after its anchor") unless $k >= 1;
    return ($i, undef);
  }
  my ($n, $at) = count_of($content, $m->{find});
  return (undef, "snippet '$m->{find}' not found") if $n == 0;
  return (undef, "snippet '$m->{find}' occurs $n times (want once; add an after: anchor)")
    unless $n == 1;
  return ($at, undef);
}

sub find_mutant {
  my ($list, $id) = @_;
  for my $m (parse($list)) { return $m if $m->{id} eq $id; }
  die "no mutant '$id' in $list\n";
}

my $cmd = shift @ARGV // '';
if ($cmd eq 'check') {
  my ($list, $root) = @ARGV;
  for my $m (parse($list)) {
    my (undef, $why) = locate($m, slurp("$root/$m->{file}"));
    print "$m->{id}\t", (defined $why ? "stale: $why" : "ok"), "\n";
  }
} elsif ($cmd eq 'select') {
  my ($list, $n, $seed) = @ARGV;
  my @all = parse($list);
  my @pick = @all;
  if (defined $n && $n > 0) {
    @pick = grep { !defined $_->{equivalent} } @all;
    srand($seed);
    for (my $i = @pick - 1; $i > 0; --$i) {  # Fisher-Yates with the seeded generator
      my $j = int(rand($i + 1));
      @pick[$i, $j] = @pick[$j, $i];
    }
    splice(@pick, $n) if $n < @pick;
  }
  my %order;
  @order{map { $_->{file} } reverse @all} = reverse(0 .. $#all);  # first appearance of each file
  my %pos;
  @pos{map { $_->{id} } @all} = (0 .. $#all);
  for my $m (sort { $order{$a->{file}} <=> $order{$b->{file}} || $pos{$a->{id}} <=> $pos{$b->{id}} } @pick) {
    print "$m->{id}\n";
  }
} elsif ($cmd eq 'field') {
  my ($list, $id, $key) = @ARGV;
  my $m = find_mutant($list, $id);
  print $m->{$key} // '';
} elsif ($cmd eq 'apply') {
  my ($list, $id, $orig, $dest) = @ARGV;
  my $m = find_mutant($list, $id);
  my $content = slurp("$orig/$m->{file}");
  my ($at, $why) = locate($m, $content);
  die "mutant $id is stale: $why\n" if defined $why;
  substr($content, $at, length($m->{find})) = $m->{repl};
  spew("$dest/$m->{file}", $content);
} elsif ($cmd eq 'sync') {
  my ($orig, $dest) = @ARGV;
  local $/ = "\0";
  my $copied = 0;
  while (my $path = <STDIN>) {
    chomp $path;
    next if $path eq '' || -d "$orig/$path" || !-e "$orig/$path";
    my $want = slurp("$orig/$path");
    my $have = slurp("$dest/$path");
    next if defined $have && $have eq $want;
    (my $dir = "$dest/$path") =~ s{/[^/]*$}{};
    system('mkdir', '-p', $dir) == 0 or die "cannot create $dir\n";
    spew("$dest/$path", $want);
    chmod((stat("$orig/$path"))[2] & 07777, "$dest/$path");
    ++$copied;
  }
  print "$copied\n";
} else {
  die "usage: mutants.pl check|select|field|apply|sync ...\n";
}
