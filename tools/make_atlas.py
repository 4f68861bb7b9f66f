"""Draw the everyday world's things from Noto Color Emoji into resources/world/ (a maintainer tool).

    apt-get install -y fonts-noto-color-emoji     # Debian: the font (OFL 1.1; its images Apache-2.0)
    .venv/bin/pip install emoji                   # CLDR short names and aliases
    .venv/bin/python tools/make_atlas.py          # writes emoji-atlas.png and emoji-things.json

Neither the font nor `emoji` is a dependency of the project: training, tests and the studio read only the
committed atlas (engine/training/atlas.py), so `emoji` is in no pyproject list on purpose.

Each thing is drawn by Pillow at the font's one bitmap size (109 px, on a 136 × 128 RGBA canvas), cropped to
its opaque box, fitted into a CELL px square (longer side = CELL, centred, premultiplied resampling) and packed
row by row, COLUMNS a row. Names start from CLDR (`emoji`'s short name and aliases, and `unicodedata.name`)
and are cleaned by hand in THINGS below: one plain caption noun per thing ("cat" for CAT FACE, "car" for
AUTOMOBILE), no noun twice, none that is a word of the shapes world (its shapes, colours, sizes, positions)
or of its captions ("picture", "background", "and"). A synonym survives only if no other thing claims it.
Each thing's article is "a" or "an", or "some" for the plural and mass nouns in SOME ("some grapes").

A thing's colour word (COLOR_WORDS, by hand: "a red apple", "a yellow banana") is one of the world's colours,
given only where the drawing is plainly that colour and the word is one people use for the thing: at least
COLOR_SHARE of its opaque pixels must fall in that colour's hue class (the script refuses the atlas otherwise).
Most things have none. Captions may say it, because the drawing is that colour; no thing is ever tinted.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from engine.training.world import COLORS, POSITIONS, SHAPES, SIZES  # noqa: E402

FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
CELL, COLUMNS = 48, 20
COLOR_SHARE = 0.3  # a colour word needs this share of the glyph's opaque pixels in the colour's hue class
RESERVED = {*SHAPES, *COLORS, *SIZES, *(w for p in POSITIONS for w in p.split()), "picture", "background",
            "gradient", "striped", "dotted", "and", "with", "on", "the", "a", "an", "some"}

# category → "emoji noun[; synonym, synonym]" (the noun is what captions say; synonyms are hand-picked extras)
THINGS: dict[str, list[str]] = {
    "animal": [
        "🐱 cat; kitten, kitty", "🐶 dog; puppy", "🐭 mouse", "🐹 hamster", "🐰 rabbit; bunny", "🦊 fox",
        "🐻 bear", "🐼 panda", "🐨 koala", "🐯 tiger", "🦁 lion", "🐮 cow", "🐷 pig", "🐸 frog", "🐵 monkey",
        "🐔 chicken; hen", "🐧 penguin", "🐦 bird", "🐤 chick", "🦆 duck", "🦅 eagle", "🦉 owl", "🦇 bat",
        "🐺 wolf", "🐗 boar", "🐴 horse; pony", "🦄 unicorn", "🐝 bee; honeybee", "🐛 caterpillar",
        "🦋 butterfly", "🐌 snail", "🐞 ladybird; ladybug", "🐜 ant", "🕷 spider", "🦂 scorpion", "🐢 turtle",
        "🐍 snake", "🦎 lizard", "🦖 dinosaur; t-rex", "🐙 octopus", "🦑 squid", "🦐 shrimp; prawn", "🦀 crab",
        "🐡 pufferfish", "🐠 tropical fish", "🐟 fish", "🐬 dolphin", "🐳 whale", "🦈 shark", "🐊 crocodile",
        "🦓 zebra", "🦍 gorilla", "🐘 elephant", "🦛 hippo; hippopotamus", "🦏 rhino; rhinoceros", "🐪 camel",
        "🦒 giraffe", "🦘 kangaroo", "🐃 buffalo", "🐑 sheep; lamb", "🐐 goat", "🦌 deer", "🐓 rooster",
        "🦃 turkey", "🦚 peacock", "🦜 parrot", "🦢 swan", "🦩 flamingo", "🕊 dove", "🦝 raccoon", "🦨 skunk",
        "🦡 badger", "🦦 otter", "🦥 sloth", "🐿 squirrel; chipmunk", "🦔 hedgehog", "🐉 dragon", "🦭 seal",
        "🦫 beaver", "🦬 bison", "🦣 mammoth", "🪲 beetle", "🦗 cricket", "🦟 mosquito", "🪱 worm",
        "🐻‍❄️ polar bear", "🦤 dodo", "🦙 llama; alpaca", "🐆 leopard", "🦧 orangutan", "🐩 poodle", "🐂 ox",
        "🐏 ram", "🦞 lobster", "🪼 jellyfish", "🪿 goose", "🫎 moose",
    ],
    "food": [
        "🍎 apple", "🍐 pear", "🍊 tangerine; mandarin", "🍋 lemon", "🍌 banana", "🍉 watermelon", "🍇 grapes",
        "🍓 strawberry", "🫐 blueberries", "🍈 melon", "🍒 cherries", "🍑 peach", "🥭 mango", "🍍 pineapple",
        "🥥 coconut", "🥝 kiwi", "🍅 tomato", "🍆 eggplant; aubergine", "🥑 avocado", "🥦 broccoli",
        "🥬 lettuce; cabbage", "🥒 cucumber", "🌶 chili pepper; chilli", "🫑 bell pepper", "🌽 corn; sweetcorn",
        "🥕 carrot", "🧄 garlic", "🧅 onion", "🥔 potato", "🥐 croissant", "🥯 bagel", "🍞 bread; loaf",
        "🥖 baguette", "🥨 pretzel", "🧀 cheese", "🥚 egg", "🍳 fried egg", "🥞 pancakes", "🧇 waffle",
        "🥓 bacon", "🍗 drumstick", "🍖 meat", "🌭 hot dog", "🍔 burger; hamburger", "🍟 fries; chips",
        "🍕 pizza", "🥪 sandwich", "🌮 taco", "🌯 burrito", "🥗 salad", "🍝 spaghetti; pasta", "🍜 noodles",
        "🍲 stew", "🍣 sushi", "🍙 rice ball", "🍚 rice", "🍛 curry", "🥟 dumpling", "🍦 ice cream",
        "🍩 doughnut; donut", "🍪 cookie; biscuit", "🎂 cake; birthday cake", "🧁 cupcake", "🥧 pie",
        "🍫 chocolate", "🍬 sweet; candy", "🍭 lollipop", "🍮 pudding; custard", "🍯 honey", "🍼 baby bottle",
        "🥛 glass of milk; milk", "☕ coffee", "🍵 tea", "🧃 juice box", "🥤 soda; soft drink", "🍺 beer", "🍷 wine",
        "🍸 cocktail", "🧋 bubble tea", "🥄 spoon", "🍴 cutlery", "🔪 knife", "🥢 chopsticks",
        "🍿 popcorn", "🧂 salt", "🥜 peanuts", "🌰 chestnut", "🫘 beans", "🧈 butter", "🥫 tin can",
        "🍱 bento box", "🫖 teapot", "🫒 olive", "🫓 flatbread", "🧊 ice cube", "🫚 ginger",
    ],
    "plant": [
        "🌵 cactus", "🌲 pine tree; evergreen", "🌳 tree", "🌴 palm tree", "🌱 sprout; seedling", "🌿 herbs; herb",
        "🍀 clover; four leaf clover", "🍁 maple leaf", "🍂 autumn leaves", "🍄 mushroom; toadstool",
        "💐 bouquet", "🌷 tulip", "🌹 rose", "🌺 hibiscus", "🌸 cherry blossom", "🌼 flower", "🌻 sunflower",
        "🪴 potted plant; houseplant", "🎄 christmas tree", "🪵 log; wood", "🪨 rock; stone", "🪷 lotus",
        "🪻 hyacinth", "🌾 wheat",
    ],
    "sky": [
        "☀️ sun", "🌙 moon; crescent moon", "☁️ cloud", "🌧 rain cloud", "⛈ thunderstorm; storm",
        "⚡ lightning bolt; lightning", "❄️ snowflake", "⛄ snowman", "🌈 rainbow", "☂️ umbrella", "🌪 tornado",
        "💧 water drop; droplet, raindrop", "🔥 fire; flame", "🌊 wave", "☄️ comet", "🪐 planet; saturn",
        "🌍 globe; earth, world", "🌋 volcano", "🏔 mountain", "🏝 island", "🏜 desert", "🏖 beach",
        "🌅 sunrise; sunset",
    ],
    "building": [
        "🏠 house; home", "🏡 cottage", "🏢 office building; office", "🏙 city; skyline", "🏰 castle",
        "🏟 stadium", "🏛 temple; classical building", "🏗 crane", "🏭 factory", "🏥 hospital", "🏦 bank",
        "🏨 hotel", "🏪 shop; store", "🏫 school", "💒 chapel", "⛪ church", "🕌 mosque",
        "🕍 synagogue", "⛩ shrine; torii", "🗼 tower", "🗽 statue; statue of liberty", "⛲ fountain", "⛺ tent",
        "🎡 ferris wheel", "🎢 roller coaster", "🎠 carousel; merry-go-round", "🌉 bridge", "🛖 hut",
        "🧱 bricks; brick wall", "🛤 railway; railway track", "🗺 map", "🚦 traffic light", "🚧 barrier; roadworks",
        "⚓ anchor", "🛝 slide; playground slide", "🎪 circus; circus tent", "⛽ fuel pump; petrol pump",
        "🚏 bus stop", "🪧 sign; placard", "🏯 pagoda",
    ],
    "vehicle": [
        "🚗 car", "🚕 taxi; cab", "🚙 jeep", "🚐 van; minibus", "🚌 bus", "🚎 trolleybus", "🏎 race car",
        "🚓 police car", "🚑 ambulance", "🚒 fire engine; fire truck", "🚚 truck", "🚛 lorry", "🚜 tractor",
        "🛴 scooter; kick scooter", "🛵 moped", "🏍 motorcycle; motorbike", "🚲 bicycle; bike", "🛹 skateboard",
        "🛼 roller skate", "🚂 locomotive; steam train", "🚆 train", "🚊 tram", "🚝 monorail",
        "🚄 bullet train", "🚁 helicopter", "✈️ airplane; plane, aeroplane", "🚀 rocket", "🛸 ufo; flying saucer",
        "🛶 canoe", "⛵ sailboat; yacht", "🚤 speedboat", "🛥 motorboat", "🚢 ship", "⛴ ferry", "🪂 parachute",
        "🚠 cable car", "🛰 satellite", "🦽 wheelchair", "🛞 wheel; tyre", "🚨 siren", "🛻 pickup truck",
        "🛺 rickshaw", "🛷 sled; sledge", "🎈 balloon",
    ],
    "object": [
        "🔨 hammer", "🪓 axe", "⛏ pickaxe", "🔧 wrench; spanner", "🪛 screwdriver", "🔩 bolt; nut and bolt",
        "⚙️ cog; gear", "🗜 clamp", "🧰 toolbox", "🧲 magnet", "🪜 ladder", "🔦 flashlight", "💡 light bulb",
        "🕯 candle", "🔑 key", "🔒 padlock; lock", "🚪 door", "🪟 window", "🛏 bed", "🛋 sofa; couch",
        "🪑 chair", "🚽 toilet", "🚿 shower", "🛁 bathtub; bath", "🪒 razor", "🧴 lotion", "🧷 safety pin",
        "🧹 broom", "🧺 basket", "🧻 toilet roll; toilet paper", "🪣 bucket", "🧼 soap", "🪥 toothbrush",
        "🧽 sponge", "🧯 fire extinguisher", "🛒 shopping cart; trolley", "⏰ alarm clock", "⌛ hourglass",
        "⏱ stopwatch", "🕰 clock", "⌚ watch; wristwatch", "📱 phone; mobile phone, smartphone",
        "☎️ telephone", "💻 laptop", "🖥 computer", "⌨️ keyboard", "🖨 printer", "📷 camera",
        "📺 television; tv", "📻 radio", "🔭 telescope", "🔬 microscope", "💊 pill", "💉 syringe",
        "🩹 plaster; bandage", "🌡 thermometer", "🧪 test tube", "📦 parcel; package, box", "✉️ envelope; letter",
        "📮 postbox", "📚 books", "📖 book", "📓 notebook", "📜 scroll", "📰 newspaper", "🖊 pen", "✏️ pencil",
        "🖌 paintbrush", "🖍 crayon", "📏 ruler", "✂️ scissors", "📎 paperclip", "📌 pushpin",
        "🗑 wastebasket; bin", "🎁 present; gift", "🎀 ribbon", "🪁 kite", "🧸 teddy bear", "🪀 yo-yo",
        "🧩 jigsaw piece; puzzle piece", "🎲 dice", "🪄 wand; magic wand", "🔮 crystal ball",
        "🎮 game controller", "🕹 joystick", "🪅 pinata", "🪆 nesting dolls; matryoshka", "🎨 palette",
        "🧵 thread", "🧶 yarn; wool", "🪡 needle", "👓 glasses; spectacles", "🕶 sunglasses", "💎 gem; jewel",
        "💰 money bag", "🪙 coin", "💵 banknote", "💳 credit card", "🔋 battery", "🔌 plug", "🏺 vase; amphora",
        "🪞 mirror", "🏮 lantern", "🎃 pumpkin; jack-o-lantern", "🪩 disco ball; mirror ball",
        "🧨 firecracker", "🎆 fireworks", "🎉 party popper", "🛡 shield", "⚔️ swords", "🗡 dagger",
        "🏹 bow; archery", "🪃 boomerang", "🧮 abacus", "📡 satellite dish", "🔔 bell", "⚖️ scales",
        "⛓ chains", "🪝 hook", "🪚 saw", "🪠 plunger", "🧭 compass",
    ],
    "instrument": [
        "🎸 guitar", "🎹 piano", "🎺 trumpet", "🎷 saxophone; sax", "🥁 drum", "🎻 violin; fiddle",
        "🪕 banjo", "🪗 accordion", "🎤 microphone; mic", "🎧 headphones", "🪇 maracas", "🪈 flute",
    ],
    "sport": [
        "⚽ football; soccer ball", "🏀 basketball", "🏉 rugby ball", "⚾ baseball", "🥎 softball",
        "🎾 tennis ball", "🏐 volleyball", "🎱 pool ball; billiard ball", "🏓 ping pong paddle; table tennis",
        "🏸 shuttlecock; badminton", "🏒 hockey stick", "🥍 lacrosse stick; lacrosse", "🏏 cricket bat",
        "⛳ golf flag; golf",
        "🎣 fishing rod", "🥊 boxing glove", "⛸ ice skate", "🎿 skis", "🥌 curling stone",
        "🎯 dartboard; target", "🏆 trophy; cup", "🥇 medal; gold medal", "🎳 bowling pins; bowling", "🥏 frisbee",
        "🤿 snorkel; diving mask",
    ],
    "clothing": [
        "👕 t-shirt; tee, shirt", "👔 tie; necktie", "👖 jeans; trousers", "🧣 scarf", "🧤 gloves", "🧥 coat",
        "🧦 socks", "👗 dress", "👘 kimono", "🥻 sari", "🩱 swimsuit", "🩳 shorts", "👙 bikini", "👚 blouse",
        "👒 sun hat", "🎩 hat; top hat", "🧢 cap; baseball cap", "🎓 mortarboard; graduation cap",
        "⛑ helmet", "👑 crown", "👠 high heels; stiletto", "👡 sandal", "👢 boot", "👞 shoe", "👟 sneaker; trainer",
        "🩴 flip flops", "🩰 ballet shoes", "🥽 goggles", "👛 purse", "👜 handbag", "💄 lipstick",
        "🪭 folding fan; fan", "🧳 suitcase; luggage", "🎒 backpack; rucksack", "💼 briefcase",
    ],
}
# things that captions count as plural or mass nouns: "some grapes", "some small rice", never "a grapes"
SOME = {
    "grapes", "cherries", "blueberries", "fries", "noodles", "pancakes", "beans", "peanuts", "rice", "honey", "salt",
    "butter", "cheese", "bread", "chocolate", "popcorn", "sushi", "spaghetti", "bacon", "meat", "wheat", "broccoli",
    "corn", "garlic", "ginger", "cutlery", "chopsticks", "books", "jeans", "scissors", "glasses", "sunglasses",
    "headphones", "maracas", "gloves", "socks", "shorts", "skis", "swords", "chains", "scales", "fireworks",
    "high heels", "flip flops", "ballet shoes", "goggles", "nesting dolls", "autumn leaves", "yarn", "thread",
    "lotion", "bricks", "bowling pins", "herbs",
}
AN = {"hourglass"}  # "an" before a consonant letter; and "a" before a vowel letter:
A = {"ufo", "unicorn"}
# CLDR names and aliases that are no plain word for the drawing (brands, memes, labels, glyph descriptions)
SYNONYM_DROP = {
    "harambe", "flipper", "cooking", "hocho", "tada", "iphone", "zap", "sunny", "birthday", "art", "dollar", "cup",
    "locked", "compression", "hourglass done", "bullettrain side", "high voltage sign", "mountain snow", "fuelpump",
    "busstop", "dart", "direct hit", "cricket game", "flag in hole", "recreational vehicle", "hot beverage",
    "teacup without handle", "beverage box", "steaming bowl", "police cars revolving light", "rescue worker helmet",
    "rescue workers helmet", "womans clothes", "womans hat", "womans sandal", "womans boot", "womans boots",
    "mans shoe", "thong sandal", "earth africa", "globe showing europe-africa", "globe showing europe africa",
    "earth globe europe-africa",
}
# colour → the things that captions may call that colour (a plain, true word for the drawing; none is cyan)
COLOR_WORDS: dict[str, str] = {
    "red": "apple, strawberry, tomato, cherries, chili pepper, rose, balloon, car, fire engine, postbox, lobster, "
           "boxing glove, ladybird, telephone, lipstick, backpack, helmet, scarf, high heels, toolbox, magnet, lantern",
    "yellow": "banana, lemon, sun, moon, corn, cheese, chick, lightning bolt, light bulb, sponge, pencil, taxi, bell, "
              "key, sunflower, softball, flower, trumpet, saxophone, crown, coin",
    "orange": "tangerine, carrot, pumpkin, tiger, shrimp, fire, tent",
    "green": "frog, cucumber, lizard, dragon, pine tree, christmas tree, broccoli, lettuce, cactus, clover, herbs, "
             "beetle, bell pepper, tree, palm tree, sprout, turtle",
    "blue": "jeans, dress, blueberries, pen, umbrella",
    "white": "cloud, snowman, sheep, swan, polar bear, dove, envelope, baseball, goose, toilet roll",
    "black": "sunglasses",
    "pink": "flamingo, tulip, cherry blossom, worm, squid, soap, purse, lotus, hibiscus",
    "purple": "grapes, hyacinth",
}
HUES = ((20, "red"), (40, "orange"), (68, "yellow"), (165, "green"), (200, "cyan"), (260, "blue"), (290, "purple"),
        (345, "pink"), (361, "red"))  # upper bounds of hue classes, degrees


def qualified(ch: str, data: dict) -> str:
    """The fully qualified form (with U+FE0F where CLDR wants it) of an emoji typed without it."""
    if ch in data:
        return ch
    if ch + "\ufe0f" in data:
        return ch + "\ufe0f"
    raise SystemExit(f"not an emoji in `emoji`'s CLDR data: {ch!r}")


def entries(data: dict) -> list[tuple[str, str, str, list[str]]]:
    """(emoji, category, noun, hand synonyms) from THINGS; an entry with no noun is skipped (kept as a note)."""
    out = []
    for category, lines in THINGS.items():
        for line in lines:
            ch, _, rest = line.partition(" ")
            if not rest:
                continue
            noun, _, syn = rest.partition(";")
            out.append((qualified(ch, data), category, noun.strip(), [s.strip() for s in syn.split(",") if s.strip()]))
    return out


def cldr_names(ch: str, data: dict) -> list[str]:
    """CLDR short name and aliases, then the code points' Unicode names, as plain lower-case words."""
    entry = data[ch]
    names = [entry["en"], *entry.get("alias", [])]
    names += [unicodedata.name(c, "") for c in ch if c not in "\ufe0f\u200d"]
    cleaned = []
    for name in names:
        name = re.sub(r"[_:]", " ", name).lower().strip()
        name = re.sub(r"\s+face$", "", name)
        if name and re.fullmatch(r"[a-z][a-z -]*", name) and name not in cleaned:
            cleaned.append(name)
    return cleaned


def draw(ch: str, font: ImageFont.FreeTypeFont) -> Image.Image:
    """The glyph in colour, cropped to its opaque box and fitted into a CELL × CELL RGBA square."""
    canvas = Image.new("RGBA", (136, 128), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((0, 0), ch, font=font, embedded_color=True)
    box = canvas.getbbox()
    if box is None:
        raise SystemExit(f"the font draws nothing for {ch!r}")
    glyph = canvas.crop(box)
    w, h = glyph.size
    k = CELL / max(w, h)
    glyph = glyph.resize((max(1, round(w * k)), max(1, round(h * k))), Image.Resampling.LANCZOS)
    cell = Image.new("RGBA", (CELL, CELL), (0, 0, 0, 0))
    cell.paste(glyph, ((CELL - glyph.width) // 2, (CELL - glyph.height) // 2))
    return cell


def hue_classes(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) RGB in [0, 255] → (N,) colour names by hue (HUES), light low-saturation reds pink, and black,
    white or grey by value and saturation."""
    x = rgb / 255
    mx, mn = x.max(1), x.min(1)
    d = np.maximum(mx - mn, 1e-6)
    r, g, b = x.T
    h = 60 * np.where(mx == r, ((g - b) / d) % 6, np.where(mx == g, (b - r) / d + 2, (r - g) / d + 4))
    s = np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-6), 0)
    out, low = np.full(len(rgb), "grey", dtype=object), 0
    for high, name in HUES:
        out[(h >= low) & (h < high)] = name
        low = high
    out[(out == "red") & (s < 0.55) & (mx > 0.75)] = "pink"
    out[s < 0.2] = "grey"
    out[(s < 0.15) & (mx > 0.8)] = "white"
    out[mx < 0.22] = "black"
    return out


def color_share(cell: Image.Image, color: str) -> float:
    """The share of the cell's opaque pixels whose hue class is `color`."""
    px = np.asarray(cell, np.float32).reshape(-1, 4)
    return float((hue_classes(px[px[:, 3] > 128, :3]) == color).mean())


def font_version() -> str:
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "fonts-noto-color-emoji"], capture_output=True,
                             text=True, check=True).stdout.strip()
        return f"Debian fonts-noto-color-emoji {out}"
    except (OSError, subprocess.CalledProcessError):
        return "unknown version"


def main() -> None:
    import emoji

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--font", default=str(FONT))
    parser.add_argument("--out", default=str(ROOT / "resources" / "world"))
    args = parser.parse_args()
    data = emoji.EMOJI_DATA
    font = ImageFont.truetype(args.font, 109)
    things = entries(data)
    nouns = [noun for _, _, noun, _ in things]
    clash = sorted({n for n in nouns if nouns.count(n) > 1} | {n for n in nouns if set(n.split()) & RESERVED})
    if clash:
        raise SystemExit(f"nouns used twice or clashing with the shapes world's words: {clash}")
    candidates = []
    for ch, category, noun, hand in things:
        names = [s for s in [*hand, *cldr_names(ch, data)] if s != noun]
        candidates.append([s for i, s in enumerate(names) if s not in names[:i]])
    claimed = [s for syns in candidates for s in syns]
    taken = set(nouns)
    colors = {n.strip(): c for c, names in COLOR_WORDS.items() for n in names.split(",")}
    unknown = sorted((set(colors) | SOME | AN | A) - taken)
    if unknown:
        raise SystemExit(f"COLOR_WORDS, SOME, AN or A name no thing: {unknown}")
    rows, cells = [], []
    for i, ((ch, category, noun, _), syns) in enumerate(zip(things, candidates)):
        cell = draw(ch, font)
        cells.append(cell)
        color = colors.get(noun)
        if color is not None and color_share(cell, color) < COLOR_SHARE:
            raise SystemExit(f"{noun}: only {color_share(cell, color):.0%} of it is {color} (COLOR_WORDS)")
        keep = [s for s in syns if s not in taken and s not in SYNONYM_DROP and claimed.count(s) == 1
                and not set(s.split()) & RESERVED]
        article = "some" if noun in SOME else "an" if noun in AN or noun[0] in "aeiou" and noun not in A else "a"
        rows.append({"noun": noun, "article": article, "category": category, "cell": i, "emoji": ch,
                     "codepoints": [f"U+{ord(c):04X}" for c in ch], "cldr": data[ch]["en"].strip(":").replace("_", " "),
                     "synonyms": keep, "color": color})
    rows_n = -(-len(cells) // COLUMNS)
    atlas = Image.new("RGBA", (COLUMNS * CELL, rows_n * CELL), (0, 0, 0, 0))
    for i, cell in enumerate(cells):
        atlas.paste(cell, ((i % COLUMNS) * CELL, (i // COLUMNS) * CELL))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atlas.save(out / "emoji-atlas.png", optimize=True)
    meta = {"atlas": "emoji-atlas.png", "cell": CELL, "columns": COLUMNS, "count": len(rows),
            "font": f"Noto Color Emoji ({font_version()}), drawn at 109 px by Pillow",
            "names": f"CLDR via the `emoji` package {emoji.__version__}, cleaned by hand in tools/make_atlas.py",
            "licence": "images Apache-2.0, font OFL 1.1: see LICENSE-noto-emoji.txt", "things": rows}
    (out / "emoji-things.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    per = {c: sum(r["category"] == c for r in rows) for c in THINGS}
    size = (out / "emoji-atlas.png").stat().st_size
    print(f"{len(rows)} things {per}; atlas {atlas.size[0]}×{atlas.size[1]} px, {size / 1e6:.2f} MB; "
          f"{sum(r['color'] is not None for r in rows)} with a colour word")


if __name__ == "__main__":
    main()
