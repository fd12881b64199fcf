# The CGI script of bench/interp.sh's Ruby module (bench/big/ruby-cgi.wat): evaluated once at
# boot, it defines cgi_main, run per request. ?n=N (default 2000) sums squares and sorts N words.
def cgi_main
  q = (ENV["QUERY_STRING"] || "").split("&").to_h { |kv| k, v = kv.split("=", 2); [k, v.to_s] }
  n = q["n"].to_s.match?(/\A\d+\z/) ? q["n"].to_i : 2000
  sum = (1..n).sum { |i| i * i }
  words = (1..n).map { |i| format("w%05d", (i * 7919) % n) }.sort
  print "Content-Type: text/plain\n\n"
  print "ruby #{RUBY_VERSION} at #{ENV['SCRIPT_NAME'] || '?'}#{ENV['PATH_INFO']}\n"
  print "sum of squares 1..#{n} = #{sum}\n"
  print "distinct words: #{words.uniq.size}, first: #{words[0, 3].join(' ')}\n"
end
