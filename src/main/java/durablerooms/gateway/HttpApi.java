package durablerooms.gateway;

import durablerooms.cluster.Addresses;
import durablerooms.cluster.Wire;
import durablerooms.protocol.Protocol;
import durablerooms.protocol.ServerFrames;
import durablerooms.room.RoomTypes;
import durablerooms.state.EventSlice;
import durablerooms.state.Lease;
import durablerooms.state.Member;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/** The HTTP API: read-only views of the nodes, the room types, the rooms, their members and history. */
final class HttpApi {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final int MAX_PAGE = 1000;
  private static final String MESSAGES = ",\"messages\":[";
  private static final String END = "]}";
  private static final int DEFAULT_ROOMS_PAGE = 100;
  /** The longest room key: a type's name (32), a slash and a room's name (64). */
  private static final int MAX_KEY_CHARS = 97;

  private final GatewayContext node;
  private final RoomAccess access;
  private final Protocol protocol;

  HttpApi(GatewayContext node, RoomAccess access) {
    this.node = node;
    this.protocol = new Protocol(node.config().maxMessageChars());
    this.access = access;
  }

  /**
   * The grant of the request's {@code token} parameter, or null without a valid one. Private rooms
   * are shown only to a request whose token covers them; to anyone else they do not exist (404).
   */
  private Future<RoomAccess.Grant> grant(RoutingContext ctx) {
    String token = ctx.request().getParam("token");
    if (!access.anyPrivate() || token == null) {
      return Future.succeededFuture();
    }
    return access.verify(token).otherwise(err -> {
      LOG.debug("{} {}: token refused: {}", ctx.request().method(), ctx.request().path(), err.getMessage());
      return null;
    });
  }

  private boolean visible(String room, RoomAccess.Grant grant) {
    return !access.isPrivate(room) || (grant != null && grant.covers(room));
  }

  /**
   * Every live node of the cluster, each asked over the event bus (a node that does not answer is
   * left out), and whether the cluster's partitions are safe (see RoomStore.partitionsSafe).
   */
  void nodes(RoutingContext ctx) {
    List<Future<JsonObject>> answers = node.liveNodes().get().stream()
        .sorted()
        .map(id -> ctx.vertx().eventBus().<JsonObject>request(Addresses.nodeInfo(id), null,
                new DeliveryOptions().setSendTimeout(2000))
            .map(Message::body)
            .otherwiseEmpty())
        .toList();
    Future<Boolean> safe = node.store().partitionsSafe().otherwise(false);
    Future.join(Future.join(answers), safe).onComplete(ar -> {
      JsonArray list = new JsonArray();
      answers.stream().map(f -> f.result()).filter(o -> o != null).forEach(list::add);
      ctx.json(new JsonObject().put("nodes", list).put("safe", safe.result()));
    });
  }

  /** The room types this node serves, chat first: what may stand in {@code /rooms/{type}/{room}}. */
  void types(RoutingContext ctx) {
    ctx.json(new JsonObject().put("types", new JsonArray(node.host().types().names())));
  }

  /**
   * A page of rooms of every type in key order (a chat room's key is its name, another's
   * {@code type/name}): {@code ?limit=} (default DEFAULT_ROOMS_PAGE, at most MAX_PAGE) after the
   * key {@code ?after=}; {@code next} is the {@code after} of the next page, null on the last.
   * Never the whole list: names cost nothing to create.
   */
  void rooms(RoutingContext ctx) {
    String after = ctx.request().getParam("after", "");
    int limit;
    try {
      limit = Integer.parseInt(ctx.request().getParam("limit", String.valueOf(DEFAULT_ROOMS_PAGE)));
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (limit < 1 || limit > MAX_PAGE || after.length() > MAX_KEY_CHARS) {
      ctx.response().setStatusCode(400).end("limit must be 1.." + MAX_PAGE + ", after a room key\n");
      return;
    }
    int pageSize = limit;
    Future<RoomAccess.Grant> grant = grant(ctx);
    grant.compose(g -> node.store().rooms(after, pageSize, room -> visible(room, g))).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
        return;
      }
      JsonArray list = new JsonArray();
      ar.result().rooms().forEach(r -> list.add(new JsonObject()
          .put("room", r.room())
          .put("type", RoomTypes.typeOf(r.room()))
          .put("active", r.lease().held())
          .put("members", r.memberCount())));
      ctx.json(new JsonObject().put("rooms", list).put("next", ar.result().next()));
    });
  }

  void room(RoutingContext ctx) {
    String room = ctx.pathParam("room");
    if (!Protocol.validRoomName(room)) {
      ctx.response().setStatusCode(400).end();
      return;
    }
    grant(ctx).onComplete(g -> {
      if (visible(room, g.result())) {
        roomVisible(ctx, room);
      } else {
        notFound(ctx);
      }
    });
  }

  /**
   * {@code GET /api/types/{type}/rooms/{room}}: a room of any type, as {@code GET /api/rooms/{room}}
   * shows a chat room.
   */
  void typedRoom(RoutingContext ctx) {
    String key = typedKey(ctx);
    if (key != null) {
      grant(ctx).onComplete(g -> {
        if (visible(key, g.result())) {
          roomVisible(ctx, key);
        } else {
          notFound(ctx);
        }
      });
    }
  }

  /** The room's key from {@code {type}} and {@code {room}}; null, answered, for a type not served here or a bad name. */
  private String typedKey(RoutingContext ctx) {
    String type = ctx.pathParam("type");
    String room = ctx.pathParam("room");
    if (!node.host().types().serves(type)) {
      answer(ctx, 404, "unknown_type", "no room type is named so on this node; GET /api/types lists them");
      return null;
    }
    if (!Protocol.validRoomName(room)) {
      answer(ctx, 400, "bad_request", "invalid room name: use 1 to 64 of A-Z a-z 0-9 _ . -");
      return null;
    }
    return RoomTypes.key(type, room);
  }

  private void roomVisible(RoutingContext ctx, String key) {
    Future<Lease> lease = node.store().lease(key);
    Future<List<Member>> members = node.store().members(key);
    Future<Long> seq = seq(key);
    Future.all(lease, members, seq).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
        return;
      }
      if (seq.result() == null && lease.result() == null && members.result().isEmpty()) {
        notFound(ctx);
        return;
      }
      Lease current = lease.result() == null ? Lease.NONE : lease.result();
      JsonArray list = new JsonArray();
      members.result().forEach(m -> list.add(ServerFrames.member(m)));
      ctx.json(new JsonObject()
          .put("room", RoomTypes.nameOf(key))
          .put("type", RoomTypes.typeOf(key))
          .put("active", current.held())
          .put("owner", current.owner())
          .put("seq", seq.result() == null ? 0 : seq.result())
          .put("members", list));
    });
  }

  /**
   * The room's newest seq (null: it was never seen), as far as it is durable: every event up to it
   * has been or may be delivered.
   */
  private Future<Long> seq(String key) {
    return events(key, Long.MAX_VALUE, 0).map(page -> page == null ? null : page.seq());
  }

  /** The durable log of a room (see {@link #fromRoom}). */
  private Future<EventSlice> events(String key, long since, int limit) {
    return fromRoom(key, node.host().events(key, since, limit, Vertx.currentContext()),
        new Wire.ReadEvents(key, since, limit), (Wire.Events reply) -> reply.slice(),
        () -> node.store().log(key, since, limit));
  }

  /**
   * A read from the room itself when it is active, since the store is written behind what the
   * room has made durable: {@code here} when it is active on this node (null when
   * not), else {@code ask} of the node that holds its lease; from the store when it is asleep, or
   * moved or stopped meanwhile.
   */
  private <R extends Wire, T> Future<T> fromRoom(String room, Future<T> here, Wire ask, Function<R, T> read,
                                                 Supplier<Future<T>> stored) {
    if (here != null) {
      return here;
    }
    return node.store().lease(room).compose(lease -> {
      if (lease == null || !lease.held() || lease.owner().equals(node.nodeId())
          || !node.liveNodes().get().contains(lease.owner())) {
        return stored.get();
      }
      return Vertx.currentContext().owner().eventBus()
          .<R>request(Addresses.roomHistory(lease.owner()), ask, new DeliveryOptions().setSendTimeout(2000))
          .map(reply -> read.apply(reply.body()))
          .recover(err -> stored.get());
    });
  }

  void messages(RoutingContext ctx) {
    String room = ctx.pathParam("room");
    if (!Protocol.validRoomName(room)) {
      ctx.response().setStatusCode(400).end("bad room, since or limit (1.." + MAX_PAGE + ")\n");
      return;
    }
    messagesOf(ctx, room);
  }

  /** {@code GET /api/types/{type}/rooms/{room}/messages}: the log of a room of any type, as chat's messages. */
  void typedMessages(RoutingContext ctx) {
    String key = typedKey(ctx);
    if (key != null) {
      messagesOf(ctx, key);
    }
  }

  private void messagesOf(RoutingContext ctx, String key) {
    long since;
    int limit;
    try {
      since = Long.parseLong(ctx.request().getParam("since", "0"));
      limit = Integer.parseInt(ctx.request().getParam("limit", "100"));
    } catch (NumberFormatException e) {
      ctx.response().setStatusCode(400).end("since and limit must be whole numbers\n");
      return;
    }
    if (since < 0 || limit < 1 || limit > MAX_PAGE) {
      ctx.response().setStatusCode(400).end("bad room, since or limit (1.." + MAX_PAGE + ")\n");
      return;
    }
    grant(ctx).onComplete(g -> {
      if (!visible(key, g.result())) {
        notFound(ctx);
      } else {
        eventsVisible(ctx, key, since, limit);
      }
    });
  }

  /** A page of the log of a room of a user's type: each event as it was delivered. */
  private void eventsVisible(RoutingContext ctx, String key, long since, int limit) {
    events(key, since, limit).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
      } else if (ar.result() == null) {
        notFound(ctx);
      } else {
        EventSlice log = ar.result();
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(page(RoomTypes.nameOf(key), log.seq(), log.gap(), log.events(), EventSlice.Entry::seq,
                EventSlice.Entry::json, node.config().maxPageBytes()));
      }
    });
  }



  /**
   * The answer's body: the {@code entries}, oldest first, as many as fit in {@code maxBytes} (one
   * at least, whatever its size); when some are left out, {@code next} is the seq to ask
   * {@code since=} for the rest. Each entry is encoded once, and the envelope spliced around them.
   */
  static <T> Buffer page(String room, long seq, boolean gap, List<T> entries, ToLongFunction<T> seqOf,
                         Function<T, String> json, int maxBytes) {
    List<Buffer> encoded = new ArrayList<>();
    // the envelope with next at its largest, so that the page stays under the cap with it
    int used = envelope(room, seq, gap, Long.MAX_VALUE).length() + MESSAGES.length() + END.length();
    long last = -1;
    for (T entry : entries) {
      Buffer m = Buffer.buffer(json.apply(entry));
      int cost = m.length() + (encoded.isEmpty() ? 0 : 1);
      if (!encoded.isEmpty() && used + cost > maxBytes) {
        break;
      }
      encoded.add(m);
      used += cost;
      last = seqOf.applyAsLong(entry);
    }
    boolean cut = encoded.size() < entries.size();
    String head = envelope(room, seq, gap, cut ? last : null);
    Buffer body = Buffer.buffer(used).appendString(head).appendString(MESSAGES);
    for (int i = 0; i < encoded.size(); i++) {
      if (i > 0) {
        body.appendString(",");
      }
      body.appendBuffer(encoded.get(i));
    }
    return body.appendString(END);
  }

  /** {@code {"room","seq","gap"[,"next"]} without its closing brace. */
  private static String envelope(String room, long seq, boolean gap, Long next) {
    JsonObject o = new JsonObject().put("room", room).put("seq", seq).put("gap", gap);
    if (next != null) {
      o.put("next", next);
    }
    String json = o.encode();
    return json.substring(0, json.length() - 1);
  }

  private static void notFound(RoutingContext ctx) {
    ctx.response().setStatusCode(404);
    ctx.json(new JsonObject().put("error", "no such room"));
  }

  /** The header of a call that runs once: a retry with the same key gets the first one's seq and time. */
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  /**
   * {@code POST /api/rooms/{type}/{room}}: a call into a room of a user's type, which runs the
   * room's {@code onRequest} (waking the room if it sleeps) and answers with what it returns once
   * its writes are durable. Only with the node's API key (ROOMS_API_KEY) as a bearer token.
   */
  void call(RoutingContext ctx) {
    String key = node.config().apiKey();
    if (key.isEmpty()) {
      answer(ctx, 403, "calls_disabled", "calls into rooms are off: set ROOMS_API_KEY on every node and send it as "
          + "'Authorization: Bearer <key>'");
      return;
    }
    String auth = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    String given = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : "";
    // compared in constant time: the time of a refusal says nothing of how much of the key was right
    if (!java.security.MessageDigest.isEqual(given.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        key.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      answer(ctx, 401, "unauthorized", "a call needs 'Authorization: Bearer <ROOMS_API_KEY>'");
      return;
    }
    String roomKey = typedKey(ctx);
    if (roomKey == null) {
      return;
    }
    JsonObject body;
    try {
      Buffer raw = ctx.body().buffer();
      body = raw == null || raw.length() == 0 ? new JsonObject() : raw.toJsonObject();
    } catch (RuntimeException e) {
      answer(ctx, 400, "bad_json", "the body must be a JSON object");
      return;
    }
    String once = ctx.request().getHeader(IDEMPOTENCY_KEY);
    if (once != null && (once.isEmpty() || once.length() > Protocol.MAX_ID_CHARS)) {
      answer(ctx, 400, "bad_request", IDEMPOTENCY_KEY + " must have 1 to " + Protocol.MAX_ID_CHARS + " characters");
      return;
    }
    if (RoomTypes.CHAT.equals(RoomTypes.typeOf(roomKey))) {
      try {
        body = chatMessage(body);
      } catch (durablerooms.protocol.ProtocolException e) {
        answer(ctx, 400, e.code().wire(), e.getMessage());
        return;
      }
      if (body.getString("id") == null && once != null) {
        body.put("id", once); // a chat message's id is its idempotency key
      }
    }
    String id = RoomTypes.CHAT.equals(RoomTypes.typeOf(roomKey)) ? body.getString("id") : once;
    node.rooms().call(new Wire.Call(roomKey, body.encode(), id)).onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(ar.result());
        return;
      }
      if (ar.cause() instanceof io.vertx.core.eventbus.ReplyException re) {
        durablerooms.api.RoomException refusal = durablerooms.room.RoomFailure.refusal(re);
        if (refusal != null) {
          answer(ctx, refusal.status(), refusal.code(), refusal.getMessage());
          return;
        }
        durablerooms.protocol.ErrorCode code = durablerooms.room.RoomFailure.clientError(re);
        if (code != null) {
          int status = switch (code) {
            case ROOM_ERROR -> 500;
            case STORAGE_FULL -> 507;
            case ROOM_FULL, UNAVAILABLE -> 503;
            default -> 400;
          };
          answer(ctx, status, code.wire(), re.getMessage());
          return;
        }
      }
      LOG.info("call into room {}: {}", roomKey, ar.cause().toString());
      answer(ctx, 503, "unavailable", "the room is unavailable; retry");
    });
  }

  /**
   * A chat message from a server, {@code {"user","message","id"?}}, checked as a client's message
   * is (the text's length and characters, the id, the name: {@code server} without one).
   */
  private JsonObject chatMessage(JsonObject body) throws durablerooms.protocol.ProtocolException {
    String user = Protocol.displayName(body.getValue("user", "server"));
    JsonObject frame = new JsonObject().put("type", "message").put("message", body.getValue("message"))
        .put("id", body.getValue("id"));
    durablerooms.protocol.ClientFrame.Chat chat = (durablerooms.protocol.ClientFrame.Chat) protocol.decode(frame.encode());
    return new JsonObject().put("user", user).put("message", chat.text()).put("id", chat.id());
  }

  private static void answer(RoutingContext ctx, int status, String code, String message) {
    ctx.response().setStatusCode(status);
    ctx.json(new JsonObject().put("code", code).put("message", message));
  }

  private static void fail(RoutingContext ctx, Throwable err) {
    LOG.warn("{} {} failed", ctx.request().method(), ctx.request().path(), err);
    ctx.response().setStatusCode(503);
    ctx.json(new JsonObject().put("error", "unavailable"));
  }
}
