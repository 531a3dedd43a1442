"""A tiny stand-in for ``personas.knowledge`` (FIXTURE, tests only): six notes in the agreed Note shape.

Used by the persona tests when the real knowledge base (``personas/knowledge/``, written by the
``knowledge`` work) is not installed; retrieval here is lexical (cue words), not embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    id: str
    domain: str
    title: str
    gist: str
    points: tuple[str, ...]
    pitfalls: tuple[str, ...]
    example: str
    followups: tuple[str, ...] = ()
    score: float = 0.0


_NOTES = {
    "deadlock": ({"ko": ("교착", "데드락", "deadlock", "락"), "en": ("deadlock", "lock", "mutual exclusion")}, {
        "ko": Note("cs-deadlock", "cs", "교착 상태", "교착 상태는 둘 이상의 작업이 서로가 가진 자원을 기다리며 영원히 멈추는 상황입니다.",
                   ("교착 상태는 상호 배제, 점유 대기, 비선점, 순환 대기라는 네 가지 조건이 동시에 성립할 때 생깁니다.",
                    "네 조건 중 하나만 깨도 교착 상태는 생기지 않습니다.",
                    "실무에서는 모든 코드가 같은 순서로 락을 잡게 해서 순환 대기를 없애는 방법을 가장 많이 씁니다.",
                    "락 획득에 타임아웃을 걸면 기다리다 포기하고 다시 시도할 수 있습니다.",
                    "데이터베이스는 대기 그래프로 교착을 탐지하고 트랜잭션 하나를 희생시켜 롤백합니다."),
                   ("교착 상태는 CPU가 너무 바쁠 때 생기는 현상입니다.", "격리 수준을 직렬화로 올리면 교착 상태가 사라집니다."),
                   "주문과 재고 테이블을 서로 반대 순서로 잠그던 두 트랜잭션이 하루 30번쯤 교착에 빠졌는데, 락 순서를 통일하자 0건이 됐습니다."),
        "en": Note("cs-deadlock", "cs", "deadlocks", "A deadlock is when two or more tasks wait forever for resources the other holds.",
                   ("A deadlock needs four conditions at the same time: mutual exclusion, hold and wait, no preemption and circular wait.",
                    "Breaking any one of the four conditions prevents the deadlock.",
                    "In practice the common fix is to make every code path take locks in the same global order, which removes circular wait.",
                    "A timeout on lock acquisition lets a waiting task give up and retry.",
                    "Databases detect deadlocks with a wait-for graph and roll back one victim transaction."),
                   ("A deadlock happens when the CPU is too busy.", "Raising the isolation level to serializable removes deadlocks."),
                   "Two transactions locked the orders and stock tables in opposite orders and deadlocked about 30 times a day; one lock order brought it to zero."),
    }),
    "chat": ({"ko": ("채팅", "메신저", "실시간", "chat"), "en": ("chat", "messag", "real-time", "realtime")}, {
        "ko": Note("sd-chat", "system_design", "실시간 채팅 시스템", "실시간 채팅은 연결을 유지하는 게이트웨이와 메시지를 저장하고 전달하는 서비스를 나눠 설계합니다.",
                   ("클라이언트는 웹소켓으로 게이트웨이에 연결을 유지하고, 게이트웨이는 연결 상태만 관리합니다.",
                    "메시지는 채팅방 단위로 순서 번호를 붙여 저장한 뒤 전달해서 순서와 중복을 관리합니다.",
                    "게이트웨이 사이에는 Redis 펍섭이나 Kafka 같은 메시지 브로커로 메시지를 전달합니다.",
                    "오프라인 사용자에게는 푸시 알림을 보내고, 다시 접속하면 마지막 순서 번호 이후 메시지를 받아 갑니다.",
                    "수백만 동시 접속은 게이트웨이를 수평 확장하고 채팅방 단위로 파티셔닝해서 감당합니다."),
                   ("모든 메시지를 하나의 데이터베이스 테이블에 넣고 클라이언트가 1초마다 폴링하면 충분합니다.",),
                   "단체방 하나에 메시지가 초당 수천 건 몰릴 때 방 단위 파티션으로 나누자 전달 지연이 200ms 안으로 유지됐습니다."),
        "en": Note("sd-chat", "system_design", "real-time chat", "A real-time chat system separates the gateways that hold connections from the services that store and deliver messages.",
                   ("Clients keep a WebSocket connection to a gateway, and the gateway only tracks connection state.",
                    "Messages get a per-room sequence number and are stored before delivery, which handles ordering and duplicates.",
                    "Gateways pass messages to each other through a broker such as Redis pub/sub or Kafka.",
                    "Offline users get a push notification and, when they reconnect, fetch everything after their last sequence number.",
                    "Millions of concurrent users are handled by scaling gateways horizontally and partitioning by chat room."),
                   ("It is enough to put every message in one database table and have clients poll it every second.",),
                   "When one group chat took thousands of messages a second, partitioning by room kept delivery under 200 ms."),
    }),
    "index": ({"ko": ("인덱스", "index", "쿼리"), "en": ("index", "query", "b-tree")}, {
        "ko": Note("db-index", "database", "데이터베이스 인덱스", "인덱스는 정렬된 B+트리로 원하는 행을 전체 스캔 없이 찾게 해 주는 구조입니다.",
                   ("B+트리는 높이가 낮아서 수백만 행에서도 몇 번의 페이지 읽기로 찾을 수 있습니다.",
                    "복합 인덱스는 왼쪽 컬럼부터 순서대로만 쓸 수 있습니다.",
                    "인덱스 컬럼에 함수를 씌우거나 앞에 와일드카드를 쓴 LIKE는 인덱스를 타지 못합니다.",
                    "인덱스가 많을수록 쓰기가 느려지므로 실행 계획을 보고 필요한 것만 둡니다."),
                   ("인덱스를 걸면 모든 쿼리가 무조건 빨라집니다.",),
                   "주문 조회 쿼리에 복합 인덱스를 추가해 800ms에서 40ms로 줄인 적이 있습니다."),
        "en": Note("db-index", "database", "database indexes", "An index is a sorted B+tree that finds rows without scanning the whole table.",
                   ("A B+tree is shallow, so even millions of rows take only a few page reads.",
                    "A composite index can only be used from its leftmost column onwards.",
                    "Wrapping the column in a function or a LIKE with a leading wildcard cannot use the index.",
                    "Every index slows writes, so I keep only the ones the query plans need."),
                   ("Adding an index always makes every query faster.",),
                   "A composite index took an order lookup from 800 ms to 40 ms."),
    }),
    "cache": ({"ko": ("캐시", "캐싱"), "en": ("cache", "caching")}, {
        "ko": Note("sd-cache", "system_design", "캐시 전략", "캐시는 자주 읽는 데이터를 빠른 저장소에 두어 읽기 지연과 DB 부하를 줄이는 방법입니다.",
                   ("가장 흔한 방식은 캐시에 없으면 DB에서 읽어 채우는 캐시 어사이드입니다.",
                    "TTL을 두고, 데이터가 바뀌면 이벤트로 해당 키를 지워 오래된 값을 줄입니다.",
                    "인기 키가 한꺼번에 만료되면 요청이 DB로 몰리므로 만료 시간을 흩뜨리고 한 요청만 다시 채우게 합니다.",
                    "로컬 캐시와 Redis 같은 분산 캐시를 겹쳐 쓰면 지연은 줄지만 일관성 관리가 어려워집니다.",
                    "캐시 적중률과 DB 부하를 지표로 보고 TTL과 용량을 조정합니다."),
                   ("캐시를 쓰면 데이터가 항상 최신으로 유지됩니다.",),
                   "상품 상세를 캐시 어사이드로 바꾸자 적중률이 95%가 되고 DB 읽기가 10분의 1로 줄었습니다."),
        "en": Note("sd-cache", "system_design", "caching", "A cache keeps hot data in fast storage to cut read latency and database load.",
                   ("The most common pattern is cache-aside: on a miss, read the database and fill the cache.",
                    "Entries get a TTL, and a change event deletes the key so stale values do not linger.",
                    "When a hot key expires, requests stampede to the database, so expiries are jittered and only one request refills.",
                    "Layering a local cache over a distributed one such as Redis cuts latency but makes consistency harder.",
                    "Hit rate and database load are the metrics for tuning TTLs and capacity."),
                   ("With a cache the data is always up to date.",),
                   "Moving product pages to cache-aside reached a 95% hit rate and cut database reads tenfold."),
    }),
    "ratelimit": ({"ko": ("속도 제한", "레이트", "요청 제한", "처리율"), "en": ("rate limit", "throttl", "rate-limit")}, {
        "ko": Note("sd-rate-limit", "system_design", "속도 제한", "속도 제한은 정해진 시간에 받을 요청 수를 제한해 서비스를 남용과 폭주에서 지키는 장치입니다.",
                   ("토큰 버킷은 일정한 속도로 토큰을 채우고 요청마다 하나씩 써서 순간적인 몰림을 어느 정도 허용합니다.",
                    "서버가 여러 대면 카운터를 Redis 같은 공유 저장소에 두고 원자적으로 증가시킵니다.",
                    "한도는 사용자, API 키, IP 단위로 다르게 둘 수 있습니다.",
                    "한도를 넘으면 429 응답과 함께 언제 다시 시도할지 알려 줍니다."),
                   ("속도 제한은 서버 한 대의 메모리에만 두면 여러 대에서도 정확합니다.",),
                   "로그인 API에 사용자별 분당 10회 한도를 두자 무차별 대입 시도가 95% 줄었습니다."),
        "en": Note("sd-rate-limit", "system_design", "rate limiting", "A rate limiter caps how many requests a client may make in a time window to protect a service from abuse and overload.",
                   ("A token bucket refills at a steady rate and spends one token per request, which allows short bursts.",
                    "With many servers the counters live in a shared store such as Redis and are incremented atomically.",
                    "Limits can differ per user, per API key or per IP address.",
                    "Over the limit the server answers 429 and says when to retry."),
                   ("Keeping the counters in each server's memory is accurate even with many servers.",),
                   "A limit of 10 logins a minute per user cut brute-force attempts by 95%."),
    }),
    "conflict": ({"ko": ("갈등", "의견", "반대", "충돌"), "en": ("disagree", "conflict", "oppos")}, {
        "ko": Note("beh-conflict", "behavioural", "갈등 해결", "의견 충돌은 사람이 아니라 문제에 집중하고 근거로 합의할 때 풀립니다.",
                   ("먼저 상대가 무엇을 걱정하는지 끝까지 들어 봅니다.", "의견 대신 데이터나 작은 실험으로 판단 기준을 맞춥니다.",
                    "합의한 뒤에는 결정과 이유를 기록해 다시 흔들리지 않게 합니다."),
                   ("갈등은 그냥 팀장님이 정해 주시면 해결됩니다.",),
                   "이틀간 성능을 측정해 숫자로 비교하자 한 시간 만에 합의가 됐습니다."),
        "en": Note("beh-conflict", "behavioural", "resolving conflict", "A disagreement is resolved by focusing on the problem, not the person, and agreeing on evidence.",
                   ("First I listen until I understand what the other person is worried about.",
                    "Instead of opinions, we agree on data or a small experiment to decide.",
                    "Once we agree, I write down the decision and the reason so it does not get reopened."),
                   ("Conflicts are best solved by letting the manager decide.",),
                   "Two days of profiling gave us numbers, and we agreed within an hour."),
    }),
}


def retrieve(question_text: str, lang: str, k: int = 3, persona_id: str | None = None) -> list[Note]:
    """Notes whose cue words occur in the question, most cues first (lexical; the real module uses embeddings)."""
    low = (question_text or "").lower()
    scored = []
    for cues, by_lang in _NOTES.values():
        n = sum(1 for c in cues[lang] if c in low)
        note = by_lang[lang]
        scored.append((n, note))
    scored.sort(key=lambda x: -x[0])
    return [Note(**{**n.__dict__, "score": float(s)}) for s, n in scored[:k]]
