// Whether the client of the request a handler serves is still connected. cpp-httplib (0.11, Debian's)
// gives a handler no access to its socket, so the socket is found among the process's descriptors by the
// connection's address pair (it stays open until the handler returns). Used while a job waits in the queue:
// a client that hung up loses its job.
#pragma once
#include <string>

namespace sdxl::server {

class ClientSocket {
 public:
  // The connected socket whose peer is remote_addr:remote_port and whose local port is local_port (-1 when
  // none is found: then the client counts as connected).
  ClientSocket(const std::string& remote_addr, int remote_port, int local_port);
  // True once the peer has closed its side or reset the connection (a read would give end-of-file or an
  // error). Bytes it sent meanwhile (a pipelined request) are left unread.
  bool gone() const;

 private:
  int fd_ = -1;
};

}  // namespace sdxl::server
