"""UI strings: the ``N_`` marker and the Simplified Chinese translations.

Every user-visible string in kiosk/ is an English source string passed to ``tr()`` (widgets) or
marked ``N_()`` (view-models). ``python -m kiosk.translations`` writes them with the translations
below into ``assets/translations/kiosk_zh_CN.ts`` and compiles the ``.qm`` Qt loads at run time;
a test fails when a marked string has no translation.
"""

from __future__ import annotations

from decimal import Decimal

SYMBOLS = {"CNY": "¥", "EUR": "€", "USD": "$"}


def money(amount: Decimal, currency: str, *, sign: bool = False) -> str:
    """``¥13,299``, ``+¥260`` with ``sign`` (Qt-free: the view-model builds notices with prices)."""
    symbol = SYMBOLS.get(currency, currency + " ")
    digits = f"{abs(amount):,.0f}" if amount == amount.to_integral_value() else f"{abs(amount):,.2f}"
    prefix = ("+" if amount >= 0 else "−") if sign else ("−" if amount < 0 else "")
    return f"{prefix}{symbol}{digits}"


def N_(text: str) -> str:  # noqa: N802 - the gettext convention, so the string scanner finds it
    """Mark ``text`` for translation without translating it here (view-models are Qt-free)."""
    return text


ZH_CN: dict[str, str] = {
    'Please enter your name.': '请输入您的姓名。',
    'Tap a character above the keys to finish your name, or 中 ⇄ EN to keep the letters.':
        '请点选键盘上方的汉字完成姓名，或按 中 ⇄ EN 保留字母。',
    'The name is too short: at least 2 characters.': '姓名太短：至少 2 个字。',
    'The name is too long: at most 40 characters.': '姓名太长：最多 40 个字。',
    'Please enter your phone number.': '请输入您的手机号码。',
    'A phone number has only digits (and + in front for abroad).': '手机号码只能包含数字（境外号码前加 +）。',
    'An international number has 8 to 15 digits after the +.': '境外号码在 + 后应有 8 到 15 位数字。',
    'A mobile number has 11 digits: please check it.': '手机号码应为 11 位，请检查。',
    'A mobile number starts with 13 to 19: please check it.': '手机号码应以 13 至 19 开头，请检查。',
    'A name has no digits: please check it.': '姓名中不能有数字，请检查。',
    "Only letters, spaces, - and ' are allowed in a name.": "姓名只能包含文字、空格、- 和 '。",
    'Wrong PIN.': 'PIN 码错误。',
    'Switched to {option}. Removed: {removed}.': '已换成{option}。已移除：{removed}。',
    'Thank you: we passed on your wish for {option}.': '谢谢！我们已转达您对{option}的需求。',
    'Thank you: we will explain {option} better.': '谢谢！我们会把{option}说明得更清楚。',
    'Placing your order...': '正在提交订单……',
    '{option} is not available with your current choices.': '{option}与您当前的选择不兼容。',
    'Undone.': '已撤销。',
    'Your order could not be saved, nothing was charged. Please ask our staff.': '订单未能保存，未产生任何费用。请联系店员。',
    'Nothing to undo.': '没有可撤销的操作。',
    'Please check the fields marked in red.': '请检查标红的栏目。',
    'Order {number}': '订单 {number}',
    'Base price': '基础价格',
    'Total': '合计',
    'Name': '姓名',
    'Phone': '电话',
    'Orders saved on this kiosk': '订单保存在本机',
    'Connected': '已连接',
    'Offline: orders wait on this kiosk': '离线：订单暂存在本机',
    'Sending orders...': '正在发送订单……',
    'Design your own bike. Built for you, in our workshop.': '设计属于您的电动车，由我们的工坊为您打造。',
    'Touch to start': '点击开始',
    'Choose your bike': '选择车型',
    'Back': '返回',
    'Undo': '撤销',
    'Order now': '立即下单',
    'Your details': '您的信息',
    'Mobile phone': '手机号码',
    'Your name': '您的姓名',
    'e.g. 138 0013 8000': '例如 138 0013 8000',
    'Thank you! Your order is placed.': '谢谢！您的订单已提交。',
    'Show this code in the store to collect your bike.': '取车时请在店内出示此二维码。',
    'Print receipt': '打印凭条',
    'Done': '完成',
    'Out of service': '暂停服务',
    'This kiosk is resting. Please ask our staff, we are happy to help.': '本机暂停服务，请联系店员，我们乐意为您服务。',
    'Staff only: enter the PIN to leave': '仅限员工：输入 PIN 码退出',
    'Cancel': '取消',
    'OK': '确定',
    'See summary': '查看汇总',
    'Next': '下一步',
    'included': '已含',
    'This option is unclear': '这个选项看不懂',
    'Place order': '提交订单',
    'One moment, please': '请稍候',
    'The kiosk is getting ready.': '本机正在准备。',
    'Step {step} of {steps}': '第 {step} 步，共 {steps} 步',
    'Total so far: {price}': '当前合计：{price}',
    'Total: {price}': '合计：{price}',
    'Type the pinyin, then tap the character': '输入拼音，再点选汉字',
    'not with your choices': '与已选项不兼容',
    'Switch to this': '换成这个',
    'Ask for this combination': '我想要这个组合',
    'Your {product}': '您的{product}',
    'from {price}': '{price} 起',
    'Recommended': '默认',
    'Start from a popular build': '从热门配置开始',
    'Most ordered': '订得最多',
    'Also popular': '同样热门',
    'Standard': '标准款',
    'no changes': '无改动',
    'Looks good — go to summary': '就这样，查看汇总',
    'Your receipt is ready: our staff can print it for you.': '凭条已备好：店员可为您打印。',
    'The receipt could not be printed, please ask our staff: they can print it for you.': '凭条未能打印，请联系店员为您打印。',
    'Your receipt is printing.': '正在打印凭条。',
    'The receipt could not be saved, please ask our staff.': '凭条未能保存，请联系店员。',
    'Too many wrong PINs. Try again in {seconds} s.': 'PIN 错误次数过多，请 {seconds} 秒后再试。',
    'Something went wrong. Please ask our staff.': '出了点问题，请联系店员。',
    'The factory needs to check this order; our staff will call you.': '工厂需要核对此订单，店员会与您联系。',
    'Kiosk status': '本机状态',
    'Refresh': '刷新',
    'Leave the app': '退出程序',
    'Reading the status...': '正在读取状态……',
    'No order store: orders stay in memory on this kiosk (demo).': '没有订单存储：订单只保存在本机内存中（演示）。',
    'Link to the hub: online': '与总部的连接：在线',
    'Link to the hub: offline (orders wait on this kiosk)': '与总部的连接：离线（订单暂存在本机）',
    'last problem: {problem}': '最近的问题：{problem}',
    'Orders waiting to go up: {n}': '等待上传的订单：{n} 个',
    'oldest waits under a minute': '最早的已等不到 1 分钟',
    'oldest waits {n} min': '最早的已等 {n} 分钟',
    'oldest waits {n} h': '最早的已等 {n} 小时',
    'Catalog revisions in use: {revisions}': '使用中的目录版本：{revisions}',
    'Catalog in use: a draft folder (the hub refuses its orders)': '使用中的目录：草稿文件夹（总部会拒收其订单）',
    'Refused by the hub: none': '总部拒收：无',
    'Refused by the hub: {n}. Please call each customer.': '总部拒收：{n} 个。请逐一致电顾客。',
    '{when} · the hub says: {reason}': '{when} · 总部原因：{reason}',
    'Event {type}': '事件 {type}',
    'We picked for you: {options}. Tap Change to choose another.': '已为您选择：{options}。点“更改”可换成其他选项。',
    'Change {attribute}': '更改{attribute}',
    'picked for you': '为您选择',
    'Ready on {date}, confirmed by the factory.': '{date} 可提车，工厂已确认。',
    'Delivery date: the factory confirms it once you order.': '交付日期：下单后由工厂确认。',
    'Ready in about {days} working days: about {date}. The factory confirms the date once you order.':
        '大约 {days} 个工作日，约 {date} 可提车。下单后由工厂确认日期。',
    'Ready about {date}': '约 {date} 可提车',
    'In stock: ready today, {date}. The factory confirms it once you order.':
        '有现货：今天（{date}）即可提车。下单后由工厂确认。',
    'In stock: ready today': '有现货：今天即可提车',
    'Ready on {date} (confirmed by the factory)': '{date} 可提车（工厂已确认）',
    'Delivery date: our staff will call you with it': '交付日期：店员会致电告知您',
    'Ready about {date} (the factory is confirming the date)': '约 {date} 可提车（工厂正在确认日期）',
    'Please note: the factory can finish your bike on {firm}, {days} days later than the {about} we showed you. If that does not suit you, please talk to our staff before you leave.':
        '请注意：工厂可在 {firm} 完成您的车，比我们之前显示的 {about} 晚 {days} 天。如不合适，请在离店前与店员沟通。',
    'Your order number is now {number}: tap Print receipt for a receipt with it.':
        '您的订单号已改为 {number}：请点“打印凭条”获取新凭条。',
    'The factory confirmed the date after you printed: tap Print receipt for a receipt with it.':
        '您打印后工厂已确认日期：请点“打印凭条”获取带确认日期的凭条。',
    'It does not go with: {choices}.': '与以下选项不兼容：{choices}。',
    'We do not build this at the moment.': '目前暂不生产此选项。',
    'Switch to this removes: {removed}.': '换成这个将移除：{removed}。',
    'Waiting for pictures before use: {revisions}': '等待图片到齐后启用：{revisions}',
    'Ready later than promised: {n}. Please call each customer.': '晚于承诺日期完成：{n} 个。请逐一致电顾客。',
    '{was} → {promise} · the hub says: {reason}': '{was} → {promise} · 总部原因：{reason}',
}

