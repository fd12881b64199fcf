# The CGI script of bench/interp.sh's Perl module (bench/big/perl-cgi.wat): compiled at boot as the
# body of sub cgi_main, run per request. ?n=N (default 2000) sums squares and sorts N words.
use strict;
use warnings;
my %q = map { my ($k, $v) = split /=/, $_, 2; ($k => $v // '') } split /&/, ($ENV{QUERY_STRING} // '');
my $n = ($q{n} // '') =~ /^\d+$/ ? $q{n} : 2000;
my $sum = 0;
$sum += $_ * $_ for 1 .. $n;
my @words = sort map { sprintf 'w%05d', ($_ * 7919) % $n } 1 .. $n;
my %seen = map { $_ => 1 } @words;
print "Content-Type: text/plain\n\n";
printf "perl %vd at %s%s\n", $^V, $ENV{SCRIPT_NAME} // '?', $ENV{PATH_INFO} // '';
print "sum of squares 1..$n = $sum\n";
print "distinct words: ", scalar(keys %seen), ", first: @words[0 .. 2]\n";
